// 2. set throughput: the store vs a bare actor.

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bare_actor.hpp"
#include "pump.hpp"
#include "sections.hpp"

namespace bench {

using namespace cursor;

// Runs `runs` interleaved rounds of `messages` one-way set messages of
// `batch` updates each against the store and the bare actor; returns the
// updates per second of each.
std::pair<std::vector<double>, std::vector<double>>
set_throughput(caf::actor_system& sys, const cursor_actor& store,
               const bare_actor& bare, const std::vector<std::string>& peers,
               size_t messages, size_t batch, int runs, uint64_t base) {
  std::vector<double> r_store;
  std::vector<double> r_bare;
  {
    // Warm-up, not timed.
    auto job = make_set_job(peers, 1000, 20000 * batch, batch, base);
    run_pump(sys, store, job);
    run_pump(sys, bare, job);
  }
  auto updates = static_cast<double>(messages * batch);
  for (int r = 0; r < runs; ++r) {
    auto job = make_set_job(peers, 1000, messages * batch, batch, base);
    for (int k = 0; k < 2; ++k) {
      if ((r + k) % 2 == 0) {
        r_store.push_back(updates / run_pump(sys, store, job));
        check_pump_result(sys, store, *job);
      } else {
        r_bare.push_back(updates / run_pump(sys, bare, job));
      }
    }
  }
  return {r_store, r_bare};
}

void bench_set(bench::report& rep, const options& opt, const std::string& dir,
               const std::vector<std::string>& peers) {
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  auto store = open_store(sys, dir + "/set-store.db", std::chrono::seconds(5));
  scoped_store guard{sys, store};
  auto batch_store = caf::actor_cast<cursor_actor>(store);
  auto bare = sys.spawn(bare_behavior, size_t{0});
  auto runs = opt.pick(5, 11);
  size_t messages = opt.full ? 1000000 : 300000;
  size_t batch_messages = opt.full ? 30000 : 10000;
  auto [single_store, single_bare] = set_throughput(
      sys, batch_store, bare, peers, messages, 1, runs, 1900000000000);
  auto [batch_store_r, batch_bare_r] = set_throughput(
      sys, batch_store, bare, peers, batch_messages, 100, runs, 2000000000000);
  figure f;
  f.section = "2 set";
  f.name = "set, 1 update per message";
  f.unit = "k updates/s";
  f.value = summarize(times(single_store, 1e-3));
  f.baseline_name = "bare stateful CAF actor, same map insert";
  f.baseline = summarize(times(single_bare, 1e-3));
  f.ratio_name = "store/bare, paired";
  f.ratio = paired(single_store, single_bare);
  f.target_goal = goal::at_least;
  f.target = 0.85;
  rep.add(f);
  figure b;
  b.section = "2 set";
  b.name = "batched set, 100 updates per message (target on the value)";
  b.unit = "k updates/s";
  b.value = summarize(times(batch_store_r, 1e-3));
  b.baseline_name = "bare stateful CAF actor, same inserts";
  b.baseline = summarize(times(batch_bare_r, 1e-3));
  b.ratio_name = "store/bare, paired";
  b.ratio = paired(batch_store_r, batch_bare_r);
  b.target_goal = goal::at_least;
  b.target = 2500;
  b.target_on_value = true;
  rep.add(b);
  anon_send_exit(bare, caf::exit_reason::user_shutdown);
}

} // namespace bench
