#include "server.hpp"

#include <cstdio>
#include <vector>

namespace bench {

server::server(const std::string& policy, const std::string& db) {
  proc = std::make_unique<bench::child_process>(
      std::vector<std::string>{"serve", "--policy=" + policy, "--db=" + db});
  std::string line;
  if (!proc->read_line(line, 60000))
    die("the server did not start");
  unsigned a = 0;
  unsigned b = 0;
  if (std::sscanf(line.c_str(), "ports %u %u", &a, &b) != 2)
    die("unexpected server output: " + line);
  store_port = static_cast<uint16_t>(a);
  bare_port = static_cast<uint16_t>(b);
}

// The server's VmHWM and VmRSS in kB.
std::pair<int64_t, int64_t> server::memory() {
  proc->write_line("hwm");
  std::string line;
  if (!proc->read_line(line, 60000))
    die("the server did not answer");
  long long hwm = 0;
  long long rss = 0;
  if (std::sscanf(line.c_str(), "hwm %lld %lld", &hwm, &rss) != 2)
    die("unexpected server output: " + line);
  return {hwm, rss};
}

// CPU time (user + system) the server used so far, milliseconds.
double server::cpu_ms() {
  proc->write_line("cpu");
  std::string line;
  if (!proc->read_line(line, 60000))
    die("the server did not answer");
  double ms = 0;
  if (std::sscanf(line.c_str(), "cpu %lf", &ms) != 1)
    die("unexpected server output: " + line);
  return ms;
}

void server::stop() {
  proc->write_line("quit");
  if (proc->finish(60000) != 0)
    die("the server did not stop cleanly");
}

} // namespace bench
