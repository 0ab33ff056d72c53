// cursor_bench: the benchmarks of issue 5. Every figure is measured against a
// baseline implemented here and run in the same process run, and printed as
// median, min and max over repeated runs. See docs/PERFORMANCE.md.
//
//   cursor_bench [--quick|--full] [--only=flush,set,get,remote,flood,startup,
//                memory,wal,migration,checkpoint,sync,list,stall]
//                [--sizes=1,100]
//                [--runs=N] [--rows=N]
//                [--dir=PATH] [--seed=N] [--markdown=FILE] [--policy=NAME]
//                [--layout=shuffled|sorted] [--write-piece=N]
//                [--allocator=tuned|default]
//
// --allocator: `tuned` (the default) calls cursor::limit_allocator_pauses()
// first, as the node and the tailer do; `default` keeps glibc's fastbins (an
// embedder that does not call it), for an A/B of the stall section.
//
// The table: --rows host-like peer IDs (20-60 bytes, mixed prefixes) with
// canonical stream IDs, inserted in random order (default; as peers appear
// over time) or in key order (--layout=sorted).
//
// Internal modes (helper processes started by the benchmark itself):
//   cursor_bench serve --policy=NAME --db=PATH
//   cursor_bench hold-lock PATH
//   cursor_bench memory store|bare PATH ROWS
//
// One file per section: flush.cpp, set.cpp, get.cpp, remote.cpp, flood.cpp,
// startup.cpp, memory.cpp, wal.cpp, migration.cpp, checkpoint.cpp,
// sync.cpp, list.cpp, stall.cpp; shared code in common, bare_actor, pump,
// getter and server.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cursor_actor/allocator.hpp"

#include "sections.hpp"

namespace {

using namespace bench;

std::string read_first(const char* path, const char* key) {
  std::ifstream in{path};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0)
      return line;
  return "";
}

int bench_main(int argc, char** argv) {
  options opt;
  bool tuned_allocator = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* prefix) -> std::string {
      return arg.substr(std::string{prefix}.size());
    };
    if (arg == "--full") {
      opt.full = true;
    } else if (arg == "--quick") {
      opt.full = false;
    } else if (arg.rfind("--only=", 0) == 0) {
      for (auto& s : split(value("--only="), ','))
        opt.only.insert(s);
    } else if (arg.rfind("--sizes=", 0) == 0) {
      for (auto& s : split(value("--sizes="), ','))
        opt.sizes.push_back(std::stoull(s));
    } else if (arg.rfind("--runs=", 0) == 0) {
      opt.runs = std::stoi(value("--runs="));
    } else if (arg.rfind("--rows=", 0) == 0) {
      opt.rows = std::stoull(value("--rows="));
    } else if (arg.rfind("--dir=", 0) == 0) {
      opt.dir = value("--dir=");
    } else if (arg.rfind("--seed=", 0) == 0) {
      opt.seed = std::stoull(value("--seed="));
    } else if (arg.rfind("--markdown=", 0) == 0) {
      opt.markdown = value("--markdown=");
    } else if (arg.rfind("--policy=", 0) == 0) {
      opt.policy = value("--policy=");
    } else if (arg.rfind("--write-piece=", 0) == 0) {
      opt.write_piece = std::stoull(value("--write-piece="));
      use_write_piece(opt.write_piece);
    } else if (arg == "--allocator=tuned") {
      tuned_allocator = true;
    } else if (arg == "--allocator=default") {
      tuned_allocator = false;
    } else if (arg == "--layout=shuffled") {
      opt.shuffled = true;
    } else if (arg == "--layout=sorted") {
      opt.shuffled = false;
    } else {
      std::fprintf(stderr,
                   "usage: cursor_bench [--quick|--full] [--only=flush,set,"
                   "get,remote,flood,startup,memory,wal,migration,checkpoint,"
                   "sync,list,stall] [--sizes=1,100] "
                   "[--runs=N] [--rows=N] [--dir=PATH] [--seed=N] "
                   "[--markdown=FILE] [--policy=stealing|sharing] "
                   "[--layout=shuffled|sorted] [--write-piece=N] "
                   "[--allocator=tuned|default]\n");
      return 2;
    }
  }
  // Before any actor system (and its threads) exists.
  bool allocator_tuned = tuned_allocator && cursor::limit_allocator_pauses();
  if (opt.rows < 1000) {
    std::fprintf(stderr, "--rows must be at least 1000\n");
    return 2;
  }
  bool own_dir = opt.dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/cursor_bench.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    opt.dir = tmpl;
  } else {
    std::filesystem::create_directories(opt.dir);
  }
  std::printf("cursor_bench (%s mode)\n", opt.full ? "full" : "quick");
  std::printf("machine: %u CPUs, %s, %s\n", std::thread::hardware_concurrency(),
              read_first("/proc/cpuinfo", "model name").c_str(),
              read_first("/proc/meminfo", "MemTotal").c_str());
  std::printf("directory: %s, rows: %zu (inserted %s), seed: %llu, local "
              "policy: %s, allocator: %s\n",
              opt.dir.c_str(), opt.rows,
              opt.shuffled ? "in random order" : "in key order",
              static_cast<unsigned long long>(opt.seed), opt.policy.c_str(),
              allocator_tuned ? "tuned (no fastbins)" : "glibc default");
  std::fflush(stdout);
  auto t0 = clock_type::now();
  bench::report rep;
  int rc = 0;
  try {
    auto peers = make_peers(opt.rows, opt.seed);
    if (opt.wants("flush"))
      bench_flush(rep, opt, opt.dir, peers);
    if (opt.wants("set"))
      bench_set(rep, opt, opt.dir, peers);
    if (opt.wants("get"))
      bench_get(rep, opt, opt.dir, peers);
    if (opt.wants("remote"))
      bench_remote(rep, opt, opt.dir, peers);
    if (opt.wants("flood"))
      bench_flood(rep, opt, opt.dir, peers);
    if (opt.wants("startup"))
      bench_startup(rep, opt, opt.dir, peers);
    if (opt.wants("memory"))
      bench_memory(rep, opt, opt.dir, peers);
    if (opt.wants("wal"))
      bench_wal(rep, opt, opt.dir, peers);
    if (opt.wants("migration"))
      bench_migration(rep, opt, opt.dir, peers);
    if (opt.wants("checkpoint"))
      bench_checkpoint(rep, opt, opt.dir, peers);
    if (opt.wants("sync"))
      bench_sync(rep, opt, opt.dir, peers);
    if (opt.wants("list"))
      bench_list(rep, opt, opt.dir, peers);
    if (opt.wants("stall"))
      bench_stall(rep, opt, opt.dir, peers);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cursor_bench: FAILED: %s\n", e.what());
    rc = 1;
  }
  std::printf("\n");
  rep.print_markdown(stdout);
  if (!opt.markdown.empty()) {
    if (auto out = std::fopen(opt.markdown.c_str(), "w")) {
      rep.print_markdown(out);
      std::fclose(out);
    }
  }
  std::printf("\ntotal: %.1f s\n", seconds_since(t0));
  if (own_dir)
    std::filesystem::remove_all(opt.dir);
  if (rc == 0 && rep.empty()) {
    std::fprintf(stderr, "cursor_bench: nothing was measured\n");
    rc = 1;
  }
  return rc;
}

} // namespace

int main(int argc, char** argv) {
  // The library logs through the spdlog logger "cursor"; register it first
  // so the lock scenario's expected busy warnings do not flood the output.
  auto logger = spdlog::stderr_color_mt("cursor");
  logger->set_level(spdlog::level::critical);
  try {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "serve") {
      cursor::limit_allocator_pauses(); // as the node it stands for
      return serve_main(argc, argv);
    }
    if (mode == "hold-lock")
      return argc > 2 ? bench::sql::hold_lock_main(argv[2]) : 2;
    if (mode == "memory")
      return memory_main(argc, argv);
    return bench_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cursor_bench %s: %s\n", argc > 1 ? argv[1] : "",
                 e.what());
    return 1;
  }
}
