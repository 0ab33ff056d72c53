// 11. list: get latency while a client walks every cursor with the paged
// `list` (pages of 10,000 as cursorctl asks by default), against the same
// store idle, and against the one-message `list` that the paging replaced.
//
// The writer reads each page from the table's B-tree (clustered on peer_id)
// on its own thread and the cursor actor overlays its uncommitted changes
// (page_overlay.hpp): the actor's share of a page is one lookup per entry,
// not a copy and sort of every cursor. Run at --rows=1000000 for the issue's
// figure.

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "getter.hpp"
#include "sections.hpp"

namespace bench {

using namespace cursor;

namespace {

constexpr uint32_t page_size = 10000;

} // namespace

void bench_list(bench::report& rep, const options& opt, const std::string& dir,
                const std::vector<std::string>& peers) {
  auto db = dir + "/list-store.db";
  prefill_v2(opt, db, peers);
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  auto store = open_store(sys, db, caf::timespan{0});
  scoped_store guard{sys, store};
  auto keys = random_keys(peers, 10000, opt.seed + 11);
  latency_runs idle;
  latency_runs paged;
  latency_runs whole;
  std::vector<double> walk_ms;
  std::vector<double> whole_ms;
  std::vector<double> page_p50;
  std::vector<double> page_max;
  size_t gets_paged = 0;
  int runs = opt.pick(3, 5);
  for (int r = 0; r < runs; ++r) {
    // Interleaved, so that the machine's drifts reach all three alike.
    auto paged_job = std::make_shared<getter_job>();
    paged_job->keys = keys;
    paged_job->mode = get_mode::during_list;
    paged_job->page_size = page_size;
    run_getter(sys, store, paged_job);
    if (paged_job->listed != peers.size())
      die("the paged list returned " + std::to_string(paged_job->listed)
          + " of " + std::to_string(peers.size()) + " cursors");
    walk_ms.push_back(paged_job->list_seconds * 1e3);
    page_p50.push_back(summarize(paged_job->page_ms).median);
    page_max.push_back(summarize(paged_job->page_ms).max);
    gets_paged += paged_job->samples_us.size();
    // The idle run lasts as long as the walk: p99 compares like with like.
    auto idle_job = std::make_shared<getter_job>();
    idle_job->keys = keys;
    idle_job->duration = paged_job->list_seconds;
    add_run(paged, std::move(paged_job->samples_us));
    run_getter(sys, store, idle_job);
    add_run(idle, std::move(idle_job->samples_us));
    auto whole_job = std::make_shared<getter_job>();
    whole_job->keys = keys;
    whole_job->mode = get_mode::during_list;
    whole_job->page_size = 0;
    run_getter(sys, store, whole_job);
    if (whole_job->listed != peers.size())
      die("the one-message list returned " + std::to_string(whole_job->listed)
          + " cursors");
    whole_ms.push_back(whole_job->list_seconds * 1e3);
    add_run(whole, std::move(whole_job->samples_us));
  }
  auto rows = std::to_string(peers.size());
  auto fig = [&](const std::string& name, const std::string& unit,
                 const std::vector<double>& v, const std::string& bname,
                 const std::vector<double>& b, const std::string& rname,
                 double target, std::string note) {
    rep.add(ratio_figure("11 list", name, unit, v, bname, b, rname, target,
                         std::move(note)));
  };
  fig("get p99, during a paged list of " + rows + " cursors", "µs", paged.p99,
      "store idle p99", idle.p99, "busy/idle", 2,
      std::to_string(gets_paged / static_cast<size_t>(std::max(1, runs)))
          + " gets per walk of " + std::to_string(page_size) + "-entry pages");
  fig("get max, during a paged list", "µs", paged.max, "store idle max",
      idle.max, "busy/idle", 0, "");
  fig("get max, during the one-message list", "µs", whole.max,
      "get max, during a paged list", paged.max, "whole/paged", 0,
      "what paging replaced: every cursor copied and sorted in one message, "
      "one get waits for all of it");
  fig("one page of " + std::to_string(page_size) + " (round trip), p50", "ms",
      page_p50, "", {}, "", 0, "median over the pages of a walk");
  fig("one page (round trip), max", "ms", page_max, "", {}, "", 0, "");
  fig("walk of every cursor, paged", "ms", walk_ms, "one-message list",
      whole_ms, "paged/whole", 0, "");
}

} // namespace bench
