// cursor_tailer: replicates the Redis streams of one or more peers into a
// target Redis, resuming each peer from its cursor. See docs/TAILER.md.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "common/database_lock.hpp"
#include "common/descriptor_limit.hpp"
#include "common/file_guard.hpp"
#include "common/lock_file.hpp"
#include "common/logging.hpp"
#include "common/metrics_file.hpp"
#include "common/signal_hub.hpp"
#include "common/signals.hpp"
#include "common/watchdog.hpp"
#include "tailer/exit_codes.hpp"
#include "tailer/service.hpp"
#include "tailer/tailer_config.hpp"

namespace {

using namespace cursor::tailer;
namespace app = cursor::app;

int refuse(int code, const std::string& text) {
  std::cerr << "cursor_tailer: error: " << text << std::endl;
  return code;
}

// The embedded store's directory (`data/` by default) is created if
// missing; `created` names it then.
std::string prepare_directory(const std::string& db_path,
                              std::string& created) {
  auto dir = std::filesystem::path{db_path}.parent_path();
  if (dir.empty())
    return {};
  std::error_code ec;
  if (std::filesystem::create_directories(dir, ec))
    created = dir.string();
  if (ec)
    return "cannot create the database directory '" + dir.string()
           + "': " + ec.message();
  return {};
}

} // namespace

int main(int argc, char** argv) {
  // Before any thread exists: every thread inherits the mask, and only the
  // watcher thread takes SIGINT/SIGTERM.
  app::signal_watcher::block_signals();
  auto limit_note = app::raise_descriptor_limit();
  tailer_config cfg;
  auto outcome = cfg.read(argc, argv);
  if (outcome.printed_help)
    return exit_ok;
  if (!outcome.options)
    return refuse(exit_config, outcome.error);
  const auto& opts = *outcome.options;
  if (!opts.metrics_file.empty())
    if (auto err = app::check_writable_location(opts.metrics_file);
        !err.empty())
      return refuse(exit_config, err);
  {
    // Every file the tailer writes must be its own file (docs/TAILER.md).
    std::vector<app::written_file> files;
    if (!opts.node) {
      files = app::database_files("cursor.db-path", opts.store.storage.db_path);
      files.push_back({"tailer.lock-file", opts.lock_file, {}});
    }
    if (!opts.metrics_file.empty())
      files.push_back({"tailer.metrics-file", opts.metrics_file, {}});
    if (auto err = app::check_distinct_files(files); !err.empty())
      return refuse(exit_config, "invalid configuration: " + err);
  }
  std::string created_dir;
  std::optional<app::lock_file> lock;
  std::optional<app::database_lock> db_lock;
  if (!opts.node) {
    if (auto err = prepare_directory(opts.store.storage.db_path, created_dir);
        !err.empty())
      return refuse(exit_startup, err);
    // Two stores on one database would each trust their own memory.
    std::string lock_error;
    lock = app::lock_file::acquire(opts.lock_file, lock_error);
    if (!lock)
      return refuse(exit_startup, "cannot use the database '"
                                      + opts.store.storage.db_path
                                      + "': " + lock_error);
    // The lock file is keyed on a name; this lock is on the database file.
    db_lock
        = app::database_lock::acquire(opts.store.storage.db_path, lock_error);
    if (!db_lock)
      return refuse(exit_startup, "cannot use the database '"
                                      + opts.store.storage.db_path
                                      + "': " + lock_error);
  }
  auto log = app::setup_logging(opts.log_level, "tailer");
  if (!limit_note.empty())
    log->info("{}", limit_note);
  if (opts.tls.enabled()) {
    log->info("mutual TLS to the cursor node: certificate '{}' ({}); the "
              "node's certificate must be signed by a CA in '{}'",
              opts.tls.certificate, outcome.tls_summary, opts.tls.ca_file);
    if (!outcome.tls_warning.empty())
      log->warn("{}", outcome.tls_warning);
  }
  if (!created_dir.empty())
    log->warn("created the missing database directory '{}'", created_dir);
  app::signal_hub hub;
  app::watchdog dog;
  auto arm_watchdog = [&] {
    // Every wait of the shutdown is bounded by the deadline; this catches
    // what cannot be bounded (a thread stuck in a system call keeps the
    // actor_system destructor waiting).
    dog.arm(opts.shutdown_timeout + std::chrono::seconds(1), [log] {
      log->critical("shutdown deadline exceeded: exiting now");
      log->flush();
      std::_Exit(exit_deadline);
    });
  };
  app::signal_watcher signals;
  auto on_ignored = [log](int signo) {
    log->warn("received {}: ignored (see the signal table in docs/NODE.md)",
              app::signal_name(signo));
  };
  signals.start(
      [&hub, log, arm_watchdog](int signo, int count) {
        if (count == 1) {
          arm_watchdog();
          hub.post(signo);
          return;
        }
        log->warn("second signal ({}) during shutdown: exiting now; positions "
                  "not flushed yet are re-read after the restart",
                  app::signal_name(signo));
        log->flush();
        std::_Exit(exit_signal_base + signo);
      },
      on_ignored);
  int code = exit_ok;
  {
    caf::actor_system sys{cfg};
    code = run_tailer(sys, opts, log, hub);
    // Also when the run ended without a signal (every peer stopped): the
    // destructor below waits for the readers and writers to finish their
    // current Redis call.
    arm_watchdog();
  }
  dog.disarm();
  signals.stop();
  if (db_lock)
    db_lock->release();
  if (lock)
    lock->release();
  if (code != exit_startup)
    log->info("stopped (exit code {})", code);
  return code;
}
