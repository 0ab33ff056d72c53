// 7. WAL: automatic checkpoint vs a periodic PASSIVE one.

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "sections.hpp"

namespace bench {

using namespace cursor;

void bench_wal(bench::report& rep, const options& opt, const std::string& dir,
               const std::vector<std::string>& peers) {
  auto auto_db = dir + "/wal-auto.db";
  auto periodic_db = dir + "/wal-periodic.db";
  bench::sql::prefill(auto_db, peers, make_ids(peers.size(), opt.seed),
                      opt.shuffled, opt.seed);
  bench::sql::prefill(periodic_db, peers, make_ids(peers.size(), opt.seed),
                      opt.shuffled, opt.seed);
  int runs = opt.pick(3, 5);
  // Small flushes (the question of the issue), then 10k-row flushes: each
  // of those writes more than 1000 pages, so with the automatic checkpoint
  // every commit also checkpoints.
  struct experiment {
    size_t rows;
    size_t flushes;
    size_t period;
  };
  experiment experiments[] = {{100, opt.full ? size_t{1000} : size_t{300}, 20},
                              {10000, opt.full ? size_t{40} : size_t{15}, 5}};
  for (auto& e : experiments) {
    latency_runs a;
    latency_runs p;
    std::vector<double> ckpt_ms;
    for (int r = 0; r < runs; ++r) {
      for (int k = 0; k < 2; ++k) {
        auto seed = opt.seed + static_cast<uint64_t>(r) + e.rows;
        if ((r + k) % 2 == 0) {
          auto res = bench::sql::wal_experiment(auto_db, peers, e.flushes,
                                                e.rows, 0, seed);
          add_run(a, times(res.flush_seconds, 1e3));
        } else {
          auto res = bench::sql::wal_experiment(periodic_db, peers, e.flushes,
                                                e.rows, e.period, seed);
          add_run(p, times(res.flush_seconds, 1e3));
          for (auto x : res.checkpoint_seconds)
            ckpt_ms.push_back(x * 1e3);
        }
      }
    }
    auto what = std::to_string(e.flushes) + " flushes of "
                + std::to_string(e.rows) + " random keys per run";
    auto fig = [&](const std::string& name, const std::vector<double>& v,
                   const std::vector<double>& b) {
      figure f;
      f.section = "7 WAL";
      f.name = name + " (" + std::to_string(e.rows) + " rows)";
      f.unit = "ms";
      f.value = summarize(v);
      f.baseline_name = "automatic checkpoint (SQLite default, 1000 pages)";
      f.baseline = summarize(b);
      f.ratio_name = "periodic/auto";
      f.ratio = f.value.median / f.baseline.median;
      f.note = what;
      rep.add(f);
    };
    fig("flush p50, periodic PASSIVE checkpoint every "
            + std::to_string(e.period) + " flushes",
        p.p50, a.p50);
    fig("flush p99, periodic checkpoint", p.p99, a.p99);
    fig("flush max, periodic checkpoint", p.max, a.max);
    figure c;
    c.section = "7 WAL";
    c.name = "the periodic checkpoint itself, every " + std::to_string(e.period)
             + " flushes of " + std::to_string(e.rows)
             + " rows (a flush arriving meanwhile " + "waits)";
    c.unit = "ms";
    c.value = summarize(ckpt_ms);
    rep.add(c);
  }
}

} // namespace bench
