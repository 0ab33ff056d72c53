// 4. remote: set and get through the middleman, stealing vs sharing; and
// the `serve` helper process.

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <map>
#include <thread>

#include <sys/resource.h>

#include "bare_actor.hpp"
#include "getter.hpp"
#include "pump.hpp"
#include "sections.hpp"
#include "server.hpp"

namespace bench {

using namespace cursor;

struct remote_figures {
  std::vector<double> set_store, set_bare, batch_store, batch_bare;
  latency_runs get_store, get_bare;
  std::vector<double> idle_cpu; // percent of one core while idle
};

void bench_remote(bench::report& rep, const options& opt,
                  const std::string& dir,
                  const std::vector<std::string>& peers) {
  bench_config cfg{"stealing", true};
  caf::actor_system sys{cfg};
  std::map<std::string, remote_figures> results;
  int runs = opt.pick(3, 7);
  size_t messages = opt.full ? 500000 : 100000;
  size_t batch_msgs = opt.full ? 20000 : 5000;
  size_t gets = opt.full ? 10000 : 2000;
  std::vector<std::string> keys(peers.begin(), peers.begin() + 1000);
  for (auto policy : {"stealing", "sharing"}) {
    server srv{policy, dir + "/remote-" + policy + ".db"};
    auto& res = results[policy];
    {
      auto store = connect<cursor_actor>(sys, srv.store_port);
      auto bare = connect<bare_actor>(sys, srv.bare_port);
      uint64_t base = 2100000000000;
      // Warm-up, not timed: connections, proxies, TCP windows, maps.
      {
        auto job = make_set_job(peers, 1000, 20000, 1, base);
        run_pump(sys, store, job);
        run_pump(sys, bare, job);
      }
      // What the server burns while nobody talks to it (CAF's idle
      // workers poll under stealing, sleep under sharing).
      for (int r = 0; r < 2; ++r) {
        auto before = srv.cpu_ms();
        auto t0 = clock_type::now();
        std::this_thread::sleep_for(std::chrono::seconds(1));
        auto wall = seconds_since(t0) * 1e3;
        res.idle_cpu.push_back((srv.cpu_ms() - before) / wall * 100);
      }
      for (int r = 0; r < runs; ++r) {
        auto job = make_set_job(peers, 1000, messages, 1, base);
        for (int k = 0; k < 2; ++k) {
          if ((r + k) % 2 == 0) {
            auto s = run_pump(sys, store, job);
            res.set_store.push_back(static_cast<double>(messages) / s);
            check_pump_result(sys, store, *job);
          } else {
            auto s = run_pump(sys, bare, job);
            res.set_bare.push_back(static_cast<double>(messages) / s);
          }
        }
        {
          auto bjob = make_set_job(peers, 1000, batch_msgs * 100, 100, base);
          for (int k = 0; k < 2; ++k) {
            if ((r + k) % 2 == 0) {
              auto s = run_pump(sys, store, bjob);
              res.batch_store.push_back(static_cast<double>(batch_msgs * 100)
                                        / s);
              check_pump_result(sys, store, *bjob);
            } else {
              auto s = run_pump(sys, bare, bjob);
              res.batch_bare.push_back(static_cast<double>(batch_msgs * 100)
                                       / s);
            }
          }
        }
        for (int k = 0; k < 2; ++k) {
          auto job = std::make_shared<getter_job>();
          job->keys = keys;
          job->count = gets;
          if ((r + k) % 2 == 0) {
            run_getter(sys, store, job);
            add_run(res.get_store, job->samples_us);
          } else {
            run_getter(sys, bare, job);
            add_run(res.get_bare, job->samples_us);
          }
        }
      }
    }
    srv.stop();
    std::string sec = std::string{"4 remote ("} + policy + ")";
    auto thr = [&](const std::string& name, const std::vector<double>& a,
                   const std::vector<double>& b, double target) {
      figure f;
      f.section = sec;
      f.name = name;
      f.unit = "k updates/s";
      f.value = summarize(times(a, 1e-3));
      f.baseline_name = "bare published actor";
      f.baseline = summarize(times(b, 1e-3));
      f.ratio_name = "store/bare, paired";
      f.ratio = paired(a, b);
      if (target > 0) {
        f.target_goal = goal::at_least;
        f.target = target;
      }
      rep.add(f);
    };
    thr("one-way set, 1 update per message", res.set_store, res.set_bare, 0.85);
    if (!res.batch_store.empty()) {
      thr("one-way batched set, 100 updates per message", res.batch_store,
          res.batch_bare, 0);
      figure f;
      f.section = sec;
      f.name = "batched set updates/s (absolute target 1 M/s)";
      f.unit = "k updates/s";
      f.value = summarize(times(res.batch_store, 1e-3));
      f.target_goal = goal::at_least;
      f.target = 1000;
      f.target_on_value = true;
      rep.add(f);
    }
    for (auto [label, a, b] :
         {std::make_tuple("get round trip p50", &res.get_store.p50,
                          &res.get_bare.p50),
          std::make_tuple("get round trip p99", &res.get_store.p99,
                          &res.get_bare.p99)}) {
      figure f;
      f.section = sec;
      f.name = label;
      f.unit = "µs";
      f.value = summarize(*a);
      f.baseline_name = "bare published actor";
      f.baseline = summarize(*b);
      f.ratio_name = "bare/store, paired";
      f.ratio = paired(*b, *a);
      if (std::string{label} == "get round trip p50") {
        f.target_goal = goal::at_least;
        f.target = 0.85;
      }
      rep.add(f);
    }
  }
  // The policy comparison itself.
  auto med = [](const std::vector<double>& xs) { return summarize(xs).median; };
  auto& st = results["stealing"];
  auto& sh = results["sharing"];
  figure f;
  f.section = "4 remote";
  f.name = "store one-way set under sharing vs stealing";
  f.unit = "k updates/s";
  f.value = summarize(times(sh.set_store, 1e-3));
  f.baseline_name = "stealing";
  f.baseline = summarize(times(st.set_store, 1e-3));
  f.ratio_name = "sharing/stealing";
  f.ratio = med(sh.set_store) / med(st.set_store);
  rep.add(f);
  figure g;
  g.section = "4 remote";
  g.name = "store get round trip p50 under sharing vs stealing";
  g.unit = "µs";
  g.value = summarize(sh.get_store.p50);
  g.baseline_name = "stealing";
  g.baseline = summarize(st.get_store.p50);
  g.ratio_name = "stealing/sharing";
  g.ratio = med(st.get_store.p50) / med(sh.get_store.p50);
  rep.add(g);
  figure c;
  c.section = "4 remote";
  c.name = "server CPU while idle under sharing vs stealing (1 s windows)";
  c.unit = "% of a core";
  c.value = summarize(sh.idle_cpu);
  c.baseline_name = "stealing";
  c.baseline = summarize(st.idle_cpu);
  c.ratio_name = "sharing/stealing";
  c.ratio = c.value.median / c.baseline.median;
  rep.add(c);
  if (!sh.batch_store.empty()) {
    figure h;
    h.section = "4 remote";
    h.name = "store batched set under sharing vs stealing";
    h.unit = "k updates/s";
    h.value = summarize(times(sh.batch_store, 1e-3));
    h.baseline_name = "stealing";
    h.baseline = summarize(times(st.batch_store, 1e-3));
    h.ratio_name = "sharing/stealing";
    h.ratio = med(sh.batch_store) / med(st.batch_store);
    rep.add(h);
  }
}

int serve_main(int argc, char** argv) {
  std::string policy = "stealing";
  std::string db;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--policy=", 0) == 0)
      policy = arg.substr(9);
    else if (arg.rfind("--db=", 0) == 0)
      db = arg.substr(5);
  }
  bench_config cfg{policy, true};
  caf::actor_system sys{cfg};
  auto store = open_store(sys, db, std::chrono::seconds(5));
  auto bare = sys.spawn(bare_behavior, size_t{0});
  // Published with the batched interface (the handle's static type decides
  // what the middleman announces).
  auto published = caf::actor_cast<cursor_actor>(store);
  auto p1 = sys.middleman().publish(published, 0, "127.0.0.1");
  auto p2 = sys.middleman().publish(bare, 0, "127.0.0.1");
  if (!p1 || !p2) {
    std::fprintf(stderr, "serve: publish failed\n");
    anon_send_exit(bare, caf::exit_reason::user_shutdown);
    stop_store(sys, store, std::chrono::seconds(30));
    return 1;
  }
  std::printf("ports %u %u\n", static_cast<unsigned>(*p1),
              static_cast<unsigned>(*p2));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "hwm") {
      std::printf("hwm %lld %lld\n",
                  static_cast<long long>(bench::status_kb("VmHWM")),
                  static_cast<long long>(bench::status_kb("VmRSS")));
      std::fflush(stdout);
    } else if (line == "cpu") {
      rusage usage{};
      getrusage(RUSAGE_SELF, &usage);
      auto ms = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) * 1e3
               + static_cast<double>(tv.tv_usec) / 1e3;
      };
      std::printf("cpu %.3f\n", ms(usage.ru_utime) + ms(usage.ru_stime));
      std::fflush(stdout);
    } else if (line == "quit") {
      break;
    }
  }
  sys.middleman().unpublish(published, *p1);
  sys.middleman().unpublish(bare, *p2);
  anon_send_exit(bare, caf::exit_reason::user_shutdown);
  return stop_store(sys, store, std::chrono::seconds(60)) ? 0 : 1;
}

} // namespace bench
