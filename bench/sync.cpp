// 10. synchronous: FULL against NORMAL on the store, flushes of 1, 100 and
// 10k cursors, back to back and spaced (the flush timer's case: the disk is
// idle between flushes). The cost of FULL at the default flush interval is
// the extra writer time per flush over that interval.

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sections.hpp"

namespace bench {

using namespace cursor;

namespace {

cursor_actor open_with(caf::actor_system& sys, const std::string& path,
                       const std::string& synchronous) {
  cursor_options opts;
  opts.storage.db_path = path;
  opts.storage.synchronous = synchronous;
  opts.flush_interval = caf::timespan{0};
  auto store = spawn_cursor_store(sys, opts);
  if (!store)
    die("cannot open the store: " + render(store.error()));
  return *store;
}

} // namespace

void bench_sync(report& rep, const options& opt, const std::string& dir,
                const std::vector<std::string>& peers) {
  auto normal_db = dir + "/sync-normal.db";
  auto full_db = dir + "/sync-full.db";
  auto ids0 = make_ids(peers.size(), opt.seed);
  for (auto& path : {normal_db, full_db})
    bench::sql::prefill(path, peers, ids0, opt.shuffled, opt.seed,
                        bench::sql::schema::v2);
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  auto normal = open_with(sys, normal_db, "normal");
  auto full = open_with(sys, full_db, "full");
  scoped_store g1{sys, normal};
  scoped_store g2{sys, full};
  round_maker rounds{peers, opt.seed + 11, 2300000000000};
  auto spacing = std::chrono::milliseconds(opt.full ? 500 : 200);
  std::vector<size_t> sizes = opt.sizes;
  if (sizes.empty())
    sizes = {1, 100, 10000};
  for (auto n : sizes) {
    n = std::min(n, peers.size());
    for (bool spaced : {false, true}) {
      int runs = n >= 10000 ? opt.pick(7, 15) : opt.pick(25, 60);
      std::vector<double> t_normal;
      std::vector<double> t_full;
      for (int r = 0; r < runs; ++r) {
        auto round = rounds.next(n, 0);
        auto& xs = round.xs;
        for (int k = 0; k < 2; ++k) {
          auto& store = (r + k) % 2 == 0 ? normal : full;
          auto& out = (r + k) % 2 == 0 ? t_normal : t_full;
          set_many(sys, store, xs);
          if (spaced)
            std::this_thread::sleep_for(spacing);
          auto t0 = clock_type::now();
          auto rows = ask<uint64_t>(sys, store, flush_atom_v);
          out.push_back(seconds_since(t0) * 1e3);
          if (rows != n)
            die("the flush wrote " + std::to_string(rows) + " rows");
        }
      }
      figure f;
      f.section = "10 synchronous";
      f.name = "flush " + std::to_string(n) + " dirty, synchronous=FULL vs "
               + "NORMAL, "
               + (spaced ? "spaced " + std::to_string(spacing.count())
                               + " ms (idle disk, as with the flush timer)"
                         : std::string{"back to back"});
      f.unit = "ms";
      f.value = summarize(t_full);
      f.baseline_name = "synchronous=NORMAL";
      f.baseline = summarize(t_normal);
      f.ratio_name = "full/normal, paired";
      f.ratio = paired(t_full, t_normal);
      if (spaced) {
        // One flush per default interval (5 s): the share of the interval
        // FULL adds to the writer's time.
        auto extra = f.value.median - f.baseline.median;
        f.note = "extra per flush " + fmt3(extra)
                 + " ms = " + fmt3(std::max(0.0, extra) / 5000 * 100)
                 + " % of the default 5 s flush interval";
      }
      rep.add(f);
    }
  }
  (void)g1;
  (void)g2;
}

} // namespace bench
