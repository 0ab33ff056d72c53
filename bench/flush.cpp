// 1. flush: the store vs the reference strategy and the floor.

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "sections.hpp"

namespace bench {

using namespace cursor;

void bench_flush(bench::report& rep, const options& opt, const std::string& dir,
                 const std::vector<std::string>& peers) {
  auto store_db = dir + "/flush-store.db";
  auto ref_db = dir + "/flush-reference.db";
  auto floor_db = dir + "/flush-floor.db";
  auto floor2_db = dir + "/flush-floor-v2.db";
  // The reference and today's floor on the v1 (Rust) table; the store and
  // the v2 floor on the v2 table, all filled in the same order.
  auto ids0 = make_ids(peers.size(), opt.seed);
  for (auto& path : {ref_db, floor_db})
    bench::sql::prefill(path, peers, ids0, opt.shuffled, opt.seed,
                        bench::sql::schema::v1);
  for (auto& path : {store_db, floor2_db})
    bench::sql::prefill(path, peers, ids0, opt.shuffled, opt.seed,
                        bench::sql::schema::v2);
  std::vector<size_t> sizes = opt.sizes;
  if (sizes.empty())
    sizes = {1, 100, 1000, 10000, 100000};
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  auto store = open_store(sys, store_db, caf::timespan{0});
  {
    scoped_store guard{sys, store};
    bench::sql::connection ref{ref_db};
    bench::sql::connection flo{floor_db};
    bench::sql::connection flo2{floor2_db};
    round_maker rounds{peers, opt.seed, 1800000000000};
    for (auto n : sizes) {
      n = std::min(n, peers.size());
      int runs = n <= 1000 ? opt.pick(20, 50)
                           : (n <= 10000 ? opt.pick(5, 11) : opt.pick(3, 7));
      std::vector<double> t_store;
      std::vector<double> t_ref;
      std::vector<double> t_floor;
      std::vector<double> t_floor2;
      for (int r = 0; r < runs; ++r) {
        auto round = rounds.next(n, 1800000000000);
        auto& xs = round.xs;
        for (int k = 0; k < 4; ++k) {
          switch ((r + k) % 4) {
            case 0: {
              auto dirty = set_many(sys, store, xs);
              if (dirty != n)
                die("store: " + std::to_string(dirty) + " dirty, expected "
                    + std::to_string(n));
              caf::scoped_actor self{sys};
              uint64_t rows = 0;
              auto t0 = clock_type::now();
              self->request(store, caf::infinite, flush_atom_v)
                  .receive([&](uint64_t x) { rows = x; },
                           [&](caf::error& err) {
                             die("flush failed: " + render(err));
                           });
              t_store.push_back(seconds_since(t0));
              if (rows != n)
                die("flush wrote " + std::to_string(rows) + " rows, expected "
                    + std::to_string(n));
              break;
            }
            case 1:
              t_floor.push_back(flo.floor_flush(xs));
              break;
            case 2:
              t_floor2.push_back(flo2.floor_flush(xs));
              break;
            default:
              t_ref.push_back(ref.reference_flush(xs));
              break;
          }
        }
      }
      auto s_store = summarize(times(t_store, 1e3));
      auto s_ref = summarize(times(t_ref, 1e3));
      auto s_floor = summarize(times(t_floor, 1e3));
      figure a;
      a.section = "1 flush";
      a.name = "flush " + std::to_string(n) + " dirty (store) vs reference";
      a.unit = "ms";
      a.value = s_store;
      a.baseline_name = "reference: autocommit upsert per row, re-prepared";
      a.baseline = s_ref;
      a.ratio_name = "reference/store, paired";
      a.ratio = paired(t_ref, t_store);
      if (n == 10000 && peers.size() <= 100000) {
        a.target_goal = goal::at_least;
        a.target = 7;
      }
      rep.add(a);
      figure b;
      b.section = "1 flush";
      b.name = "flush " + std::to_string(n) + " dirty (store) vs floor";
      b.unit = "ms";
      b.value = s_store;
      b.baseline_name = "today's floor: v1 table, one txn, cached stmt, "
                        "sorted, no actors";
      b.baseline = s_floor;
      b.ratio_name = "store/floor, paired";
      b.ratio = paired(t_store, t_floor);
      if (n == 10000) {
        b.target_goal = goal::at_most;
        b.target = peers.size() >= 1000000 ? 0.65 : 0.75;
      }
      rep.add(b);
      figure c;
      c.section = "1 flush";
      c.name = "flush " + std::to_string(n) + " dirty (store) vs v2 floor";
      c.unit = "ms";
      c.value = s_store;
      c.baseline_name = "v2 floor: the same bare loop on the v2 table";
      c.baseline = summarize(times(t_floor2, 1e3));
      c.ratio_name = "store/v2 floor, paired";
      c.ratio = paired(t_store, t_floor2);
      rep.add(c);
    }
    if (!stop_store(sys, store, std::chrono::seconds(60)))
      die("the store did not stop");
  }
  auto d_store = bench::sql::content_digest(store_db);
  auto d_ref = bench::sql::content_digest(ref_db);
  auto d_floor = bench::sql::content_digest(floor_db);
  auto d_floor2 = bench::sql::content_digest(floor2_db);
  if (!(d_store == d_ref) || !(d_store == d_floor) || !(d_store == d_floor2))
    die("the store and the baselines wrote different rows");
  std::printf("[1 flush] check: the store, the reference and both floors hold "
              "the same %zu rows\n",
              d_store.rows);
}

} // namespace bench
