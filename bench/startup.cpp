// 5. start-up: open and load every cursor vs a bare SELECT into a map.

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "sections.hpp"

namespace bench {

using namespace cursor;

void bench_startup(bench::report& rep, const options& opt,
                   const std::string& dir,
                   const std::vector<std::string>& peers) {
  auto db = dir + "/startup.db";
  prefill_v2(opt, db, peers);
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  std::vector<double> t_store;
  std::vector<double> t_bare;
  int runs = opt.pick(5, 11);
  for (int r = 0; r < runs; ++r) {
    for (int k = 0; k < 2; ++k) {
      if ((r + k) % 2 == 0) {
        auto t0 = clock_type::now();
        auto store = open_store(sys, db, std::chrono::seconds(5));
        t_store.push_back(seconds_since(t0) * 1e3);
        auto stats = ask<cursor_stats>(sys, store, stats_atom_v);
        if (stats.entries != peers.size())
          die("the store loaded " + std::to_string(stats.entries) + " rows");
        if (!stop_store(sys, store, std::chrono::seconds(60)))
          die("the store did not stop");
      } else {
        size_t rows = 0;
        t_bare.push_back(bench::sql::bare_load(db, peers.size(), rows) * 1e3);
        if (rows != peers.size())
          die("the bare load read " + std::to_string(rows) + " rows");
      }
    }
  }
  figure f;
  f.section = "5 start-up";
  f.name = "open and load " + std::to_string(peers.size()) + " cursors";
  f.unit = "ms";
  f.value = summarize(t_store);
  f.baseline_name = "bare SELECT into a reserved unordered_map";
  f.baseline = summarize(t_bare);
  f.ratio_name = "store/bare, paired";
  f.ratio = paired(t_store, t_bare);
  f.target_goal = goal::at_most;
  f.target = 1.3;
  rep.add(f);
}

} // namespace bench
