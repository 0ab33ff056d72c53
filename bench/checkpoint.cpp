// 9. checkpoint: the store's TRUNCATE checkpoint (a request through the
// cursor actor to the writer) after a flush of 10k cursors, against the bare
// `wal_checkpoint(TRUNCATE)` after the same flush on a bare connection.

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "sections.hpp"

namespace bench {

using namespace cursor;

void bench_checkpoint(report& rep, const options& opt, const std::string& dir,
                      const std::vector<std::string>& peers) {
  auto store_db = dir + "/checkpoint-store.db";
  auto bare_db = dir + "/checkpoint-bare.db";
  auto ids0 = make_ids(peers.size(), opt.seed);
  for (auto& path : {store_db, bare_db})
    bench::sql::prefill(path, peers, ids0, opt.shuffled, opt.seed,
                        bench::sql::schema::v2);
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  auto store = open_store(sys, store_db, caf::timespan{0});
  std::vector<double> t_store;
  std::vector<double> t_bare;
  size_t n = std::min<size_t>(10000, peers.size());
  {
    scoped_store guard{sys, store};
    bench::sql::connection bare{bare_db, 0};
    round_maker rounds{peers, opt.seed + 9, 1900000000000};
    int runs = opt.pick(5, 11);
    for (int r = 0; r < runs; ++r) {
      auto round = rounds.next(n, 1900000000000);
      auto& xs = round.xs;
      for (int k = 0; k < 2; ++k) {
        if ((r + k) % 2 == 0) {
          set_many(sys, store, xs);
          ask<uint64_t>(sys, store, flush_atom_v);
          auto t0 = clock_type::now();
          auto info = ask<checkpoint_info>(sys, store, checkpoint_atom_v);
          t_store.push_back(seconds_since(t0) * 1e3);
          if (info.busy)
            die("the store's checkpoint was busy");
        } else {
          bare.floor_flush(xs);
          t_bare.push_back(bare.checkpoint_truncate() * 1e3);
        }
      }
    }
    if (!stop_store(sys, store, std::chrono::seconds(60)))
      die("the store did not stop");
  }
  figure f;
  f.section = "9 checkpoint";
  f.name = "TRUNCATE checkpoint after a flush of " + std::to_string(n) + " of "
           + std::to_string(peers.size()) + " cursors";
  f.unit = "ms";
  f.value = summarize(t_store);
  f.baseline_name = "bare wal_checkpoint(TRUNCATE) after the same flush";
  f.baseline = summarize(t_bare);
  f.ratio_name = "store/bare, paired";
  f.ratio = paired(t_store, t_bare);
  // (TRUNCATE reports 0 frames once it emptied the WAL: no note.)
  rep.add(f);
}

} // namespace bench
