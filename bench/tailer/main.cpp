// cursor_tailer_bench: end-to-end entries per second of cursor_tailer against
// a bare hiredis XREAD -> XADD loop without a cursor store, in the same run,
// on the same redis-servers and data. See docs/PERFORMANCE.md, "Tailer".
//
//   cursor_tailer_bench [--entries=N] [--peers=N] [--runs=N] [--batch=N]
//                       [--redis-server=PATH] [--tailer=PATH] [--dir=PATH]
//                       [--seed=N] [--quick]
//
// One redis-server per peer (its stream `events`, filled with N entries of
// replication events: random keys, values of 32 to 512 random bytes) and one
// target redis-server. Each run copies every stream twice, alternating which
// goes first: the bare loop (one thread per peer) into `bare:<peer>`, and the
// real cursor_tailer process (embedded store, a fresh database) into
// `events:<peer>`. The tailer's time runs from spawning the process to the
// moment every target holds N entries (polled every millisecond), start-up
// included. Both copies are checked (length and last ID) before a figure
// counts. Prints the median ratio tailer / bare; the target is >= 0.8.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "bare_loop.hpp"
#include "redis.hpp"

extern char** environ;

namespace {

using clock_type = std::chrono::steady_clock;

const char* const peer_names[] = {
    "uk.node.manchester-1", "de.node.frankfurt-2", "us.node.virginia-3",
    "fr.node.paris-4",      "jp.node.tokyo-5",     "br.node.saopaulo-6",
    "in.node.mumbai-7",     "au.node.sydney-8",
};

struct options {
  uint64_t entries = 100000;
  size_t peers = 3;
  int runs = 3;
  uint32_t batch = 500;
  std::string redis_server = "redis-server";
  std::string tailer = CURSOR_TAILER_PATH;
  std::string dir;
  uint64_t seed = 42;
  /// Appended to the tailer's INI file, for experiments
  /// (`--tailer-ini=$'[scheduler]\npolicy=...'`).
  std::string tailer_ini;
};

double since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Replication events as a mesh would write them, in random order of keys.
void fill(bench::redis::client& c, const std::string& origin, uint64_t n,
          std::mt19937_64& rng) {
  static const char* ops[] = {"set", "hset", "del", "incrby"};
  std::uniform_int_distribution<int> size(32, 512);
  std::string value;
  for (uint64_t done = 0; done < n;) {
    uint64_t chunk = std::min<uint64_t>(1000, n - done);
    for (uint64_t i = 0; i < chunk; ++i) {
      value.resize(static_cast<size_t>(size(rng)));
      for (auto& ch : value)
        ch = static_cast<char>(rng());
      c.append({"XADD", "events", "*", "op", ops[rng() % 4], "key",
                "user:" + std::to_string(rng() % 10000000), "value", value,
                "origin", origin, "seq", std::to_string(done + i)});
    }
    for (uint64_t i = 0; i < chunk; ++i)
      if (c.read()->type == REDIS_REPLY_ERROR)
        throw std::runtime_error("XADD failed while filling");
    done += chunk;
  }
}

pid_t spawn_tailer(const options& opts, const std::string& config,
                   const std::string& log) {
  std::vector<std::string> args{opts.tailer, "--config-file=" + config};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, opts.tailer.c_str(), &actions, nullptr,
                       argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("cannot start " + opts.tailer);
  return pid;
}

// Seconds of CPU (user + system) of the calling thread.
double thread_cpu() {
  rusage ru{};
  ::getrusage(RUSAGE_THREAD, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// One copy: wall time and the CPU seconds of the copier (the bare loop's
// threads, or the tailer process) and of the redis-servers.
struct copy_result {
  double wall = 0;
  double steady = 0;
  double copier_cpu = 0;
  double redis_cpu = 0;
};

class bench_run {
public:
  bench_run(const options& opts) : opts_(opts) {
    std::mt19937_64 rng{opts.seed};
    target_ = std::make_unique<bench::redis::server>(opts.redis_server,
                                                     opts.dir, "target");
    for (size_t i = 0; i < opts.peers; ++i) {
      sources_.push_back(std::make_unique<bench::redis::server>(
          opts.redis_server, opts.dir, "source" + std::to_string(i)));
      bench::redis::client c{sources_.back()->port()};
      fill(c, peer_names[i], opts.entries, rng);
      last_ids_.push_back(bench::redis::last_id(c, "events"));
    }
  }

  double redis_cpu() const {
    auto result = target_->cpu_seconds();
    for (auto& x : sources_)
      result += x->cpu_seconds();
    return result;
  }

  copy_result bare() {
    bench::redis::client t{target_->port()};
    for (size_t i = 0; i < opts_.peers; ++i)
      t.run({"DEL", bare_key(i)});
    std::vector<std::thread> threads;
    std::vector<std::string> errors(opts_.peers);
    std::vector<double> cpu(opts_.peers);
    copy_result result;
    auto redis0 = redis_cpu();
    auto t0 = clock_type::now();
    for (size_t i = 0; i < opts_.peers; ++i)
      threads.emplace_back([&, i] {
        try {
          bench::bare_copy(sources_[i]->port(), "events", target_->port(),
                           bare_key(i), opts_.batch, opts_.entries);
        } catch (std::exception& e) {
          errors[i] = e.what();
        }
        cpu[i] = thread_cpu();
      });
    for (auto& th : threads)
      th.join();
    auto elapsed = since(t0);
    result.wall = result.steady = elapsed;
    result.redis_cpu = redis_cpu() - redis0;
    for (auto x : cpu)
      result.copier_cpu += x;
    for (auto& e : errors)
      if (!e.empty())
        throw std::runtime_error(e);
    verify(t, [this](size_t i) { return bare_key(i); });
    return result;
  }

  // Wall time from spawn to done (steady: from the first entry to done).
  copy_result tailer(int run) {
    bench::redis::client t{target_->port()};
    for (size_t i = 0; i < opts_.peers; ++i)
      t.run({"DEL", tailer_key(i)});
    auto db = opts_.dir + "/run" + std::to_string(run) + ".db";
    auto config = opts_.dir + "/tailer.ini";
    {
      std::ofstream out{config};
      out << "[tailer]\npeers=[\n";
      for (size_t i = 0; i < opts_.peers; ++i)
        out << "  {id=\"" << peer_names[i] << "\", source=\""
            << sources_[i]->address() << "\", stream=\"events\"},\n";
      out << "]\ntarget=\"" << target_->address()
          << "\"\nbatch-size=" << opts_.batch
          << "\nlog-level=\"warn\"\n[cursor]\ndb-path=\"" << db << "\"\n"
          << opts_.tailer_ini << "\n";
    }
    auto redis0 = redis_cpu();
    auto t0 = clock_type::now();
    auto pid = spawn_tailer(opts_, config, opts_.dir + "/tailer.log");
    double first = -1;
    for (;;) {
      uint64_t total = 0;
      for (size_t i = 0; i < opts_.peers; ++i)
        t.append({"XLEN", tailer_key(i)});
      for (size_t i = 0; i < opts_.peers; ++i)
        total += static_cast<uint64_t>(t.read()->integer);
      if (total > 0 && first < 0)
        first = since(t0);
      if (total == opts_.peers * opts_.entries)
        break;
      if (since(t0) > 600 || ::waitpid(pid, nullptr, WNOHANG) == pid)
        throw std::runtime_error("the tailer did not copy everything (see "
                                 + opts_.dir + "/tailer.log)");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    auto elapsed = since(t0);
    copy_result result;
    result.redis_cpu = redis_cpu() - redis0;
    ::kill(pid, SIGTERM);
    int status = 0;
    rusage ru{};
    ::wait4(pid, &status, 0, &ru);
    result.copier_cpu
        = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
          + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec)
                / 1e6;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error("the tailer did not exit with 0 (see "
                               + opts_.dir + "/tailer.log)");
    verify(t, [this](size_t i) { return tailer_key(i); });
    result.wall = elapsed;
    result.steady = elapsed - first;
    return result;
  }

private:
  std::string bare_key(size_t i) const {
    return std::string{"bare:"} + peer_names[i];
  }
  std::string tailer_key(size_t i) const {
    return std::string{"events:"} + peer_names[i];
  }

  template <class F>
  void verify(bench::redis::client& t, F key) {
    for (size_t i = 0; i < opts_.peers; ++i) {
      auto n = bench::redis::xlen(t, key(i));
      auto last = bench::redis::last_id(t, key(i));
      if (n != opts_.entries || last != last_ids_[i])
        throw std::runtime_error("wrong copy in " + key(i) + ": "
                                 + std::to_string(n) + " entries up to " + last
                                 + ", expected " + std::to_string(opts_.entries)
                                 + " up to " + last_ids_[i]);
    }
  }

  const options& opts_;
  std::unique_ptr<bench::redis::server> target_;
  std::vector<std::unique_ptr<bench::redis::server>> sources_;
  std::vector<std::string> last_ids_;
};

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

int bench_main(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* prefix) {
      return arg.substr(std::string{prefix}.size());
    };
    if (arg.rfind("--entries=", 0) == 0)
      opts.entries = std::stoull(value("--entries="));
    else if (arg.rfind("--peers=", 0) == 0)
      opts.peers = std::stoul(value("--peers="));
    else if (arg.rfind("--runs=", 0) == 0)
      opts.runs = std::stoi(value("--runs="));
    else if (arg.rfind("--batch=", 0) == 0)
      opts.batch = static_cast<uint32_t>(std::stoul(value("--batch=")));
    else if (arg.rfind("--redis-server=", 0) == 0)
      opts.redis_server = value("--redis-server=");
    else if (arg.rfind("--tailer=", 0) == 0)
      opts.tailer = value("--tailer=");
    else if (arg.rfind("--dir=", 0) == 0)
      opts.dir = value("--dir=");
    else if (arg.rfind("--tailer-ini=", 0) == 0)
      opts.tailer_ini = value("--tailer-ini=");
    else if (arg.rfind("--seed=", 0) == 0)
      opts.seed = std::stoull(value("--seed="));
    else if (arg == "--quick") {
      opts.entries = 2000;
      opts.runs = 1;
    } else {
      std::cerr << "usage: cursor_tailer_bench [--entries=N] [--peers=N] "
                   "[--runs=N] [--batch=N] [--redis-server=PATH] "
                   "[--tailer=PATH] [--dir=PATH] [--seed=N] [--quick]\n";
      return 2;
    }
  }
  if (opts.peers < 1 || opts.peers > 8 || opts.runs < 1 || opts.entries < 1
      || opts.batch < 1)
    throw std::runtime_error("--peers 1..8, --runs, --entries, --batch >= 1");
  bool own_dir = opts.dir.empty();
  if (own_dir) {
    auto tmpl = (std::filesystem::temp_directory_path()
                 / "cursor_tailer_bench.XXXXXX")
                    .string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    opts.dir = tmpl;
  } else {
    std::filesystem::create_directories(opts.dir);
  }
  std::printf("tailer benchmark: %zu peers x %llu entries, batch %u, %d runs, "
              "files in %s\n",
              opts.peers, static_cast<unsigned long long>(opts.entries),
              opts.batch, opts.runs, opts.dir.c_str());
  std::vector<double> ratios;
  std::vector<double> steady_ratios;
  {
    bench_run b{opts};
    auto total = static_cast<double>(opts.peers * opts.entries);
    std::printf("%-4s %10s %10s %10s %7s %7s %21s %21s\n", "run", "bare e/s",
                "tailer e/s", "steady e/s", "ratio", "steady",
                "CPU us/entry bare", "CPU us/entry tailer");
    std::printf("%-4s %10s %10s %10s %7s %7s %10s %10s %10s %10s\n", "", "", "",
                "", "", "", "loop", "redis", "process", "redis");
    for (int run = 1; run <= opts.runs; ++run) {
      copy_result bare;
      copy_result tail;
      // Alternate the order: the machine's state must not favour either.
      if (run % 2 == 1) {
        bare = b.bare();
        tail = b.tailer(run);
      } else {
        tail = b.tailer(run);
        bare = b.bare();
      }
      auto bare_rate = total / bare.wall;
      auto tail_rate = total / tail.wall;
      auto steady_rate = total / tail.steady;
      ratios.push_back(tail_rate / bare_rate);
      steady_ratios.push_back(steady_rate / bare_rate);
      auto us = [&](double s) { return s * 1e6 / total; };
      std::printf("%-4d %10.0f %10.0f %10.0f %7.2f %7.2f %10.2f %10.2f %10.2f "
                  "%10.2f\n",
                  run, bare_rate, tail_rate, steady_rate, ratios.back(),
                  steady_ratios.back(), us(bare.copier_cpu), us(bare.redis_cpu),
                  us(tail.copier_cpu), us(tail.redis_cpu));
      std::fflush(stdout);
    }
  }
  std::printf("median ratio tailer / bare: %.2f (from the process start), "
              "%.2f (from the first entry); target >= 0.80: %s\n",
              median(ratios), median(steady_ratios),
              median(ratios) >= 0.8 ? "met" : "NOT met");
  if (own_dir)
    std::filesystem::remove_all(opts.dir);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return bench_main(argc, argv);
  } catch (std::exception& e) {
    std::fprintf(stderr, "cursor_tailer_bench: %s\n", e.what());
    return 1;
  }
}
