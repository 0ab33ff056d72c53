// 3. get latency: idle, during a flush, while another process holds the lock.

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bare_actor.hpp"
#include "getter.hpp"
#include "process.hpp"
#include "sections.hpp"

namespace bench {

using namespace cursor;

void bench_get(bench::report& rep, const options& opt, const std::string& dir,
               const std::vector<std::string>& peers) {
  auto db = dir + "/get-store.db";
  prefill_v2(opt, db, peers);
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  auto store = open_store(sys, db, caf::timespan{0});
  scoped_store guard{sys, store};
  auto bare = sys.spawn(bare_behavior, peers.size());
  std::string seed_id = "1700000000000-0";
  for (auto& p : peers)
    caf::anon_send(bare, set_atom_v, p, seed_id);
  ask<uint64_t>(sys, bare, dirty_atom_v);
  std::mt19937_64 rng{opt.seed + 3};
  auto keys = random_keys(peers, 10000, opt.seed + 3);
  // Idle runs last as long as the lock runs: a longer run meets more of the
  // machine's noise (preemption by other processes), and p99 must compare
  // like with like.
  double hold = opt.full ? 3.0 : 1.0;
  auto plain_job = [&] {
    auto job = std::make_shared<getter_job>();
    job->keys = keys;
    job->duration = hold;
    return job;
  };
  latency_runs idle;
  latency_runs idle_bare;
  latency_runs flushing;
  latency_runs locked;
  std::vector<double> flush_ms;
  int runs = opt.pick(3, 5);
  for (int r = 0; r < runs; ++r) {
    for (int k = 0; k < 2; ++k) {
      auto job = plain_job();
      if ((r + k) % 2 == 0) {
        run_getter(sys, store, job);
        add_run(idle, job->samples_us);
      } else {
        run_getter(sys, bare, job);
        add_run(idle_bare, job->samples_us);
      }
    }
  }
  // While a flush of every cursor is in flight.
  uint64_t version = 1800000000000;
  int flush_runs = opt.pick(3, 7);
  for (int r = 0; r < flush_runs; ++r) {
    std::vector<std::string> ids(peers.size());
    std::vector<bench::sql::update> xs(peers.size());
    auto ms = std::to_string(version++);
    for (size_t i = 0; i < peers.size(); ++i) {
      ids[i] = ms + "-" + std::to_string(i);
      xs[i] = bench::sql::update{&peers[i], &ids[i], 0};
    }
    std::shuffle(xs.begin(), xs.end(), rng);
    set_many(sys, store, xs);
    auto job = std::make_shared<getter_job>();
    job->keys = keys;
    job->mode = get_mode::during_flush;
    run_getter(sys, store, job);
    if (job->flushes_ok != 1)
      die("the flush during the get benchmark failed");
    flush_ms.push_back(job->flush_seconds * 1e3);
    add_run(flushing, job->samples_us);
  }
  // While another process holds the database lock.
  int lock_runs = opt.pick(2, 5);
  size_t lock_errors = 0;
  for (int r = 0; r < lock_runs; ++r) {
    std::vector<std::string> ids(200);
    std::vector<bench::sql::update> xs(200);
    auto ms = std::to_string(version++);
    for (size_t i = 0; i < 200; ++i) {
      ids[i] = ms + "-" + std::to_string(i);
      xs[i] = bench::sql::update{&peers[i * 7 % peers.size()], &ids[i], 0};
    }
    set_many(sys, store, xs);
    bench::child_process holder{{"hold-lock", db}};
    std::string line;
    if (!holder.read_line(line, 30000) || line != "locked")
      die("the lock holder did not start");
    auto job = std::make_shared<getter_job>();
    job->keys = keys;
    job->mode = get_mode::during_lock;
    job->duration = hold;
    run_getter(sys, store, job);
    lock_errors += job->flushes_ok; // a flush must not succeed while locked
    if (job->flushes_failed == 0)
      die("no flush attempt failed while the database was locked");
    add_run(locked, job->samples_us);
    holder.finish(30000);
    ask<uint64_t>(sys, store, flush_atom_v); // succeeds once released
  }
  if (lock_errors > 0)
    die("a flush succeeded while another process held the lock");
  auto fig = [&](const std::string& name, const std::vector<double>& v,
                 const std::string& bname, const std::vector<double>& b,
                 const std::string& rname, double target, std::string note) {
    rep.add(ratio_figure("3 get", name, "µs", v, bname, b, rname, target,
                         std::move(note)));
  };
  fig("get p50, idle", idle.p50, "bare actor get p50", idle_bare.p50,
      "store/bare", 0,
      std::to_string(idle.samples / std::max(1, runs)) + " gets per run of "
          + bench::fmt3(hold) + " s");
  fig("get p99, idle", idle.p99, "bare actor get p99", idle_bare.p99,
      "store/bare", 0, "");
  fig("get p50, during a 100k-row flush", flushing.p50, "store idle p50",
      idle.p50, "busy/idle", 0,
      std::to_string(flushing.samples / std::max(1, flush_runs))
          + " gets per flush");
  fig("get p99, during a 100k-row flush", flushing.p99, "store idle p99",
      idle.p99, "busy/idle", 2, "");
  fig("get max, during a 100k-row flush", flushing.max, "store idle max",
      idle.max, "busy/idle", 0, "");
  fig("get p99, while another process holds the lock", locked.p99,
      "store idle p99", idle.p99, "busy/idle", 2,
      std::to_string(locked.samples / std::max(1, lock_runs))
          + " gets per run");
  fig("get max, while another process holds the lock", locked.max,
      "store idle max", idle.max, "busy/idle", 0, "");
  figure f;
  f.section = "3 get";
  f.name = "the 100k-row flush during those gets";
  f.unit = "ms";
  f.value = summarize(flush_ms);
  rep.add(f);
  anon_send_exit(bare, caf::exit_reason::user_shutdown);
}

} // namespace bench
