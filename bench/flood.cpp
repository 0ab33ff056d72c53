// 6b. flood: peak memory of a server receiving 1 M remote sets.

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "pump.hpp"
#include "sections.hpp"
#include "server.hpp"

namespace bench {

using namespace cursor;

void bench_flood(bench::report& rep, const options& opt, const std::string& dir,
                 const std::vector<std::string>& peers) {
  bench_config cfg{"stealing", true};
  caf::actor_system sys{cfg};
  struct variant {
    std::string name;
    size_t window;
    size_t max_windows;
  };
  std::vector<variant> variants{
      {"bounded: 8 windows of 1000 in flight", 1000, 8}};
  if (opt.full)
    variants.push_back({"unbounded: all sent at once", 1000000, 1});
  for (auto& v : variants) {
    server srv{opt.policy, dir + "/flood.db"};
    auto before = srv.memory();
    double secs = 0;
    {
      auto store = connect<cursor_actor>(sys, srv.store_port);
      uint64_t base = 2200000000000;
      auto job = make_set_job(peers, 1000, 1000000, 1, base);
      job->window = v.window;
      job->max_windows = v.max_windows;
      secs = run_pump(sys, store, job);
      check_pump_result(sys, store, *job);
    }
    auto after = srv.memory();
    srv.stop();
    figure f;
    f.section = "6 memory";
    f.name = "server peak RSS (VmHWM) after 1 M remote sets, " + v.name;
    f.unit = "MiB";
    f.value = summarize({static_cast<double>(after.first) / 1024});
    f.baseline_name = "VmHWM of the same server before the flood";
    f.baseline = summarize({static_cast<double>(before.first) / 1024});
    f.ratio_name = "after/before";
    f.ratio = f.value.median / f.baseline.median;
    f.note = "1 M sets in " + bench::fmt3(secs) + " s";
    rep.add(f);
  }
}

} // namespace bench
