#include "redis.hpp"

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

extern char** environ;

namespace bench::redis {

namespace {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr))
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len)) {
    if (fd >= 0)
      ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool answers(uint16_t port) {
  timeval tv{1, 0};
  auto* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c == nullptr)
    return false;
  bool ok = false;
  if (c->err == 0) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
    if (r != nullptr)
      freeReplyObject(r);
  }
  redisFree(c);
  return ok;
}

} // namespace

server::server(const std::string& binary, const std::string& dir,
               const std::string& name) {
  port_ = free_port();
  auto log = dir + "/" + name + ".log";
  std::vector<std::string> args{binary,
                                "--port",
                                std::to_string(port_),
                                "--bind",
                                "127.0.0.1",
                                "--save",
                                "",
                                "--appendonly",
                                "no",
                                "--dir",
                                dir,
                                "--logfile",
                                log};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  int rc = posix_spawnp(&pid_, binary.c_str(), &actions, nullptr, argv.data(),
                        environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("cannot start " + binary + ": " + std::strerror(rc)
                             + " (install redis-server: "
                               "scripts/install-deps.sh)");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!answers(port_)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(name + ": redis-server exited (see " + log
                               + ")");
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(name + ": redis-server does not answer");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

server::~server() {
  if (pid_ <= 0)
    return;
  try {
    client c{port_};
    c.append({"SHUTDOWN", "NOSAVE"});
    c.read();
  } catch (...) {
    // The server closes the connection instead of answering.
  }
  for (int i = 0; i < 500; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

double server::cpu_seconds() const {
  // Fields 14 and 15 of /proc/<pid>/stat: utime and stime in clock ticks.
  std::ifstream in{"/proc/" + std::to_string(pid_) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  auto pos = text.rfind(')');
  if (pos == std::string::npos)
    return 0;
  std::istringstream fields{text.substr(pos + 2)};
  std::string x;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int i = 3; i <= 15 && fields >> x; ++i) {
    if (i == 14)
      utime = std::stoull(x);
    else if (i == 15)
      stime = std::stoull(x);
  }
  return static_cast<double>(utime + stime)
         / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

void reply_deleter::operator()(redisReply* x) const {
  freeReplyObject(x);
}

client::client(uint16_t port) {
  timeval tv{5, 0};
  ctx_ = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (ctx_ == nullptr || ctx_->err != 0) {
    std::string what = ctx_ ? ctx_->errstr : "out of memory";
    if (ctx_)
      redisFree(ctx_);
    throw std::runtime_error("cannot connect to Redis on port "
                             + std::to_string(port) + ": " + what);
  }
  timeval io{30, 0};
  redisSetTimeout(ctx_, io);
}

client::~client() {
  redisFree(ctx_);
}

void client::append(const std::vector<std::string>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lengths;
  for (auto& a : argv) {
    ptrs.push_back(a.data());
    lengths.push_back(a.size());
  }
  append(ptrs.size(), ptrs.data(), lengths.data());
}

void client::append(size_t argc, const char** argv, const size_t* lengths) {
  redisAppendCommandArgv(ctx_, static_cast<int>(argc), argv, lengths);
}

reply_ptr client::read() {
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr)
    throw std::runtime_error(std::string{"Redis I/O error: "} + ctx_->errstr);
  return reply_ptr{static_cast<redisReply*>(raw)};
}

reply_ptr client::run(const std::vector<std::string>& argv) {
  append(argv);
  auto r = read();
  if (r->type == REDIS_REPLY_ERROR)
    throw std::runtime_error(argv[0] + ": " + std::string{r->str, r->len});
  return r;
}

uint64_t xlen(client& c, const std::string& key) {
  auto r = c.run({"XLEN", key});
  return static_cast<uint64_t>(r->integer);
}

std::string last_id(client& c, const std::string& key) {
  c.append({"XINFO", "STREAM", key});
  auto r = c.read();
  if (r->type != REDIS_REPLY_ARRAY)
    return "0";
  for (size_t i = 0; i + 1 < r->elements; i += 2)
    if (std::string{r->element[i]->str, r->element[i]->len}
        == "last-generated-id")
      return {r->element[i + 1]->str, r->element[i + 1]->len};
  return "0";
}

} // namespace bench::redis
