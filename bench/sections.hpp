#pragma once

// The sections of cursor_bench, one file each (docs/PERFORMANCE.md), and the
// helper process modes the benchmark starts itself.

#include <string>
#include <vector>

#include "common.hpp"

namespace bench {

using section_fn
    = void (*)(report& rep, const options& opt, const std::string& dir,
               const std::vector<std::string>& peers);

void bench_flush(report&, const options&, const std::string&,
                 const std::vector<std::string>&);
void bench_set(report&, const options&, const std::string&,
               const std::vector<std::string>&);
void bench_get(report&, const options&, const std::string&,
               const std::vector<std::string>&);
void bench_remote(report&, const options&, const std::string&,
                  const std::vector<std::string>&);
void bench_flood(report&, const options&, const std::string&,
                 const std::vector<std::string>&);
void bench_startup(report&, const options&, const std::string&,
                   const std::vector<std::string>&);
void bench_memory(report&, const options&, const std::string&,
                  const std::vector<std::string>&);
void bench_wal(report&, const options&, const std::string&,
               const std::vector<std::string>&);

void bench_migration(report&, const options&, const std::string&,
                     const std::vector<std::string>&);
void bench_checkpoint(report&, const options&, const std::string&,
                      const std::vector<std::string>&);
void bench_sync(report&, const options&, const std::string&,
                const std::vector<std::string>&);
void bench_list(report&, const options&, const std::string&,
                const std::vector<std::string>&);
void bench_stall(report&, const options&, const std::string&,
                 const std::vector<std::string>&);

/// `cursor_bench serve --policy=NAME --db=PATH` (remote.cpp's server).
int serve_main(int argc, char** argv);
/// `cursor_bench memory store|bare PATH ROWS` (memory.cpp's probe).
int memory_main(int argc, char** argv);

} // namespace bench
