#include "common.hpp"

#include <algorithm>
#include <cstdio>

#include <caf/io/all.hpp>

namespace bench {

using namespace cursor;

bench_config::bench_config(const std::string& policy, bool io) {
  register_types(*this);
  set("scheduler.policy", caf::atom_from_string(policy));
  if (io)
    load<caf::io::middleman>();
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

[[noreturn]] void die(const std::string& what) {
  throw std::runtime_error(what);
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> result;
  size_t start = 0;
  for (;;) {
    auto pos = text.find(sep, start);
    auto part = text.substr(start, pos - start);
    if (!part.empty())
      result.push_back(part);
    if (pos == std::string::npos)
      break;
    start = pos + 1;
  }
  return result;
}

// Peer IDs of a realistic length (20 bytes, past std::string's small-buffer
// size), e.g. "eu.node.peer-0001234".
std::vector<std::string> make_peers(size_t n) {
  std::vector<std::string> result;
  result.reserve(n);
  char buf[48];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof(buf), "eu.node.peer-%07zu", i);
    result.emplace_back(buf);
  }
  return result;
}

// Picks `n` distinct random indexes below perm.size() (partial shuffle).
void pick_distinct(std::vector<size_t>& perm, size_t n, std::mt19937_64& rng) {
  for (size_t i = 0; i < n; ++i) {
    std::uniform_int_distribution<size_t> d{i, perm.size() - 1};
    std::swap(perm[i], perm[d(rng)]);
  }
}

cursor_actor open_store(caf::actor_system& sys, const std::string& path,
                        caf::timespan flush_interval) {
  cursor_options opts;
  opts.storage.db_path = path;
  opts.flush_interval = flush_interval;
  auto store = spawn_cursor_store(sys, opts);
  if (!store)
    die("cannot open the store: " + render(store.error()));
  return *store;
}

// The median of a[i] / b[i]: runs i of both were measured back to back, so
// the machine's slow drifts (other processes) cancel in each quotient.
double paired(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> q;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    q.push_back(a[i] / b[i]);
  return summarize(q).median;
}

std::vector<double> times(std::vector<double> xs, double factor) {
  for (auto& x : xs)
    x *= factor;
  return xs;
}

void add_run(latency_runs& acc, std::vector<double> xs) {
  if (xs.empty())
    die("no get completed");
  acc.samples += xs.size();
  acc.p50.push_back(bench::percentile(xs, 50));
  acc.p99.push_back(bench::percentile(xs, 99));
  acc.max.push_back(xs.back());
}

} // namespace bench
