// 8. migration: opening a v1 file migrates it to schema v2 (one
// transaction); its time against opening the same file once migrated, and
// the peak extra disk it takes (file + WAL, sampled every 2 ms).

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sections.hpp"

namespace bench {

using namespace cursor;

namespace {

uint64_t size_or_zero(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(n);
}

// Samples the summed size of `db` and its WAL until stopped; keeps the max.
struct disk_sampler {
  std::string db;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> peak{0};
  std::thread thread;

  explicit disk_sampler(std::string path) : db(std::move(path)) {
    thread = std::thread{[this] {
      while (!stop.load()) {
        auto n = size_or_zero(db) + size_or_zero(db + "-wal");
        if (n > peak.load())
          peak.store(n);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }};
  }

  uint64_t finish() {
    stop.store(true);
    thread.join();
    auto n = size_or_zero(db) + size_or_zero(db + "-wal");
    return std::max<uint64_t>(peak.load(), n);
  }
};

} // namespace

void bench_migration(report& rep, const options& opt, const std::string& dir,
                     const std::vector<std::string>& peers) {
  auto pristine = dir + "/migration-v1.db";
  auto work = dir + "/migration.db";
  bench::sql::prefill(pristine, peers, make_ids(peers.size(), opt.seed),
                      opt.shuffled, opt.seed, bench::sql::schema::v1);
  auto v1_bytes = static_cast<double>(size_or_zero(pristine));
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  std::vector<double> t_migrate;
  std::vector<double> t_open;
  std::vector<double> extra_mib;
  std::vector<double> after_mib;
  int runs = opt.pick(3, 5);
  for (int r = 0; r < runs; ++r) {
    for (auto suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(work + suffix);
    std::filesystem::copy_file(pristine, work);
    disk_sampler sampler{work};
    auto t0 = clock_type::now();
    auto store = open_store(sys, work, std::chrono::seconds(5));
    t_migrate.push_back(seconds_since(t0));
    auto peak = sampler.finish();
    auto stats = ask<cursor_stats>(sys, store, stats_atom_v);
    if (stats.entries != peers.size())
      die("after the migration the store holds " + std::to_string(stats.entries)
          + " cursors");
    if (!stop_store(sys, store, std::chrono::seconds(60)))
      die("the store did not stop");
    extra_mib.push_back((static_cast<double>(peak) - v1_bytes) / 1048576.0);
    after_mib.push_back(static_cast<double>(size_or_zero(work)) / 1048576.0);
    // The same file again: v2 already, nothing to migrate.
    t0 = clock_type::now();
    auto again = open_store(sys, work, std::chrono::seconds(5));
    t_open.push_back(seconds_since(t0));
    if (!stop_store(sys, again, std::chrono::seconds(60)))
      die("the store did not stop");
  }
  auto n = std::to_string(peers.size());
  figure f;
  f.section = "8 migration";
  f.name = "open a v1 file of " + n + " rows (migrates to v2)";
  f.unit = "s";
  f.value = summarize(t_migrate);
  f.baseline_name = "open the same file once migrated";
  f.baseline = summarize(t_open);
  f.ratio_name = "migrating/plain open, paired";
  f.ratio = paired(t_migrate, t_open);
  rep.add(f);
  figure d;
  d.section = "8 migration";
  d.name = "peak extra disk during the migration (file + WAL over the v1 "
           "file)";
  d.unit = "MiB";
  d.value = summarize(extra_mib);
  d.baseline_name = "the v1 file";
  d.baseline = summarize({v1_bytes / 1048576.0});
  d.ratio_name = "extra/v1 file";
  d.ratio = d.value.median / d.baseline.median;
  rep.add(d);
  figure s;
  s.section = "8 migration";
  s.name = "file size after the migration (the old table's pages stay as "
           "free pages)";
  s.unit = "MiB";
  s.value = summarize(after_mib);
  s.baseline_name = "the v1 file";
  s.baseline = summarize({v1_bytes / 1048576.0});
  s.ratio_name = "after/v1";
  s.ratio = s.value.median / s.baseline.median;
  rep.add(s);
}

} // namespace bench
