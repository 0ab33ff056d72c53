// 6a. memory per cursor, measured in a fresh child process; and the
// `memory` helper process.

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <malloc.h>

#include "process.hpp"
#include "sections.hpp"

namespace bench {

using namespace cursor;

bench::sql::memory_figures memory_probe(const std::string& which,
                                        const std::string& db, size_t rows) {
  bench::child_process probe{{"memory", which, db, std::to_string(rows)}};
  std::string line;
  if (!probe.read_line(line, 120000))
    die("the memory probe did not answer");
  bench::sql::memory_figures result;
  if (std::sscanf(line.c_str(), "bytes_per_row %lf %lf %lf", &result.rss,
                  &result.rss_trimmed, &result.heap)
      != 3)
    die("unexpected probe output: " + line);
  if (probe.finish(60000) != 0)
    die("the memory probe failed");
  return result;
}

void bench_memory(bench::report& rep, const options& opt,
                  const std::string& dir,
                  const std::vector<std::string>& peers) {
  auto db = dir + "/memory.db";
  prefill_v2(opt, db, peers);
  std::vector<bench::sql::memory_figures> store;
  std::vector<bench::sql::memory_figures> bare;
  int runs = opt.pick(3, 5);
  for (int r = 0; r < runs; ++r) {
    store.push_back(memory_probe("store", db, peers.size()));
    bare.push_back(memory_probe("bare", db, peers.size()));
  }
  auto pick = [](const std::vector<bench::sql::memory_figures>& xs,
                 double bench::sql::memory_figures::*field) {
    std::vector<double> result;
    for (auto& x : xs)
      result.push_back(x.*field);
    return summarize(result);
  };
  auto n = std::to_string(peers.size());
  struct {
    std::string name;
    double bench::sql::memory_figures::*field;
    bool target;
  } rows[] = {
      {"resident bytes per cursor at " + n
           + " cursors (RSS delta of a fresh process, as it holds it)",
       &bench::sql::memory_figures::rss, true},
      {"resident bytes per cursor after malloc_trim",
       &bench::sql::memory_figures::rss_trimmed, false},
      {"heap bytes in use per cursor (mallinfo2)",
       &bench::sql::memory_figures::heap, false},
  };
  for (auto& row : rows) {
    figure f;
    f.section = "6 memory";
    f.name = row.name;
    f.unit = "B";
    f.value = pick(store, row.field);
    f.baseline_name = "bare SELECT into unordered_map<string, pair<string, "
                      "int64>>, connection open";
    f.baseline = pick(bare, row.field);
    f.ratio_name = "store/bare";
    f.ratio = f.value.median / f.baseline.median;
    if (row.target) {
      f.target_goal = goal::at_most;
      f.target = 160;
      f.target_on_value = true;
    }
    rep.add(f);
  }
}

int memory_main(int argc, char** argv) {
  if (argc < 5)
    return 2;
  std::string which = argv[2];
  std::string db = argv[3];
  auto rows = static_cast<size_t>(std::stoull(argv[4]));
  if (which == "bare") {
    auto m = bench::sql::bare_load_memory(db, rows);
    std::printf("bytes_per_row %.1f %.1f %.1f\n", m.rss, m.rss_trimmed, m.heap);
    return 0;
  }
  bench_config cfg{"stealing", false};
  caf::actor_system sys{cfg};
  {
    // Let the scheduler's threads start and touch their stacks first.
    caf::scoped_actor self{sys};
  }
  malloc_trim(0);
  auto before = bench::rss_bytes();
  auto heap_before = mallinfo2().uordblks;
  auto store = open_store(sys, db, std::chrono::seconds(5));
  auto stats = ask<cursor_stats>(sys, store, stats_atom_v);
  auto after = bench::rss_bytes();
  auto heap_after = mallinfo2().uordblks;
  malloc_trim(0);
  auto trimmed = bench::rss_bytes();
  if (stats.entries != rows) {
    std::fprintf(stderr, "memory: loaded %llu rows, expected %zu\n",
                 static_cast<unsigned long long>(stats.entries), rows);
    stop_store(sys, store, std::chrono::seconds(30));
    return 1;
  }
  auto per_row = [rows](double x) { return x / static_cast<double>(rows); };
  std::printf("bytes_per_row %.1f %.1f %.1f\n",
              per_row(static_cast<double>(after - before)),
              per_row(static_cast<double>(trimmed - before)),
              per_row(static_cast<double>(heap_after)
                      - static_cast<double>(heap_before)));
  std::fflush(stdout);
  return stop_store(sys, store, std::chrono::seconds(60)) ? 0 : 1;
}

} // namespace bench
