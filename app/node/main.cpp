// cursor_node: hosts the cursor store and publishes it to remote CAF peers
// through a front actor. See docs/NODE.md.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

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
#include "node/accept_guard.hpp"
#include "node/exit_codes.hpp"
#include "node/node_config.hpp"
#include "node/service.hpp"

namespace {

using namespace cursor::node;
using namespace cursor::app;

int refuse(int code, const std::string& text) {
  std::cerr << "cursor_node: error: " << text << std::endl;
  return code;
}

// Creates the directory the database lives in (`data/` by default) if it is
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

bool is_loopback(const std::string& address) {
  return address == "localhost" || address == "::1"
         || address.compare(0, 4, "127.") == 0;
}

} // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the mask and only
  // the watcher thread takes the signals (docs/NODE.md, "Signals").
  signal_watcher::block_signals();
  auto limit_note = raise_descriptor_limit();
  node_config cfg;
  auto outcome = cfg.read(argc, argv);
  if (outcome.printed_help)
    return exit_ok;
  if (!outcome.options)
    return refuse(exit_config, outcome.error);
  const auto& opts = *outcome.options;
  if (!opts.metrics_file.empty())
    if (auto err = check_writable_location(opts.metrics_file); !err.empty())
      return refuse(exit_config, err);
  {
    // Every file the node writes must be its own file (docs/NODE.md, "Files
    // and locks"); the metrics temp file is created exclusively.
    auto files = database_files("cursor.db-path", opts.store.storage.db_path);
    files.push_back({"node.lock-file", opts.lock_file, {}});
    if (!opts.metrics_file.empty())
      files.push_back({"node.metrics-file", opts.metrics_file, {}});
    if (auto err = check_distinct_files(files); !err.empty())
      return refuse(exit_config, "invalid configuration: " + err);
  }
  std::string created_dir;
  if (auto err = prepare_directory(opts.store.storage.db_path, created_dir);
      !err.empty())
    return refuse(exit_startup, err);
  std::string lock_error;
  auto lock = lock_file::acquire(opts.lock_file, lock_error);
  if (!lock)
    return refuse(exit_startup, "cannot use the database '"
                                    + opts.store.storage.db_path
                                    + "': " + lock_error);
  // The lock file is keyed on a name; this lock is on the database file.
  auto db_lock = database_lock::acquire(opts.store.storage.db_path, lock_error);
  if (!db_lock)
    return refuse(exit_startup, "cannot use the database '"
                                    + opts.store.storage.db_path
                                    + "': " + lock_error);
  auto log = setup_logging(opts.log_level, "node");
  if (!limit_note.empty())
    log->info("{}", limit_note);
  // Keeps 16 descriptors for the database, the metrics file and the log.
  install_accept_guard(descriptor_limit(), 16, log);
  if (opts.tls.enabled()) {
    log->info("mutual TLS: certificate '{}' ({}); clients need a certificate "
              "signed by a CA in '{}' (host names are not checked)",
              opts.tls.certificate, outcome.tls_summary, opts.tls.ca_file);
    if (!outcome.tls_warning.empty())
      log->warn("{}", outcome.tls_warning);
  } else if (!is_loopback(opts.bind_address)) {
    log->warn("publishing on '{}' without TLS: any peer that reaches the "
              "port can read and rewrite cursors (see tls.* in "
              "docs/NODE.md)",
              opts.bind_address.empty() ? "all interfaces" : opts.bind_address);
  }
  if (!created_dir.empty())
    log->warn("created the missing database directory '{}'", created_dir);
  signal_hub hub;
  watchdog dog;
  auto arm_watchdog = [&] {
    // The service bounds every wait by the deadline; this catches what it
    // cannot bound, e.g. a writer stuck in a system call that would keep
    // the actor_system destructor waiting.
    dog.arm(opts.shutdown_timeout + std::chrono::seconds(1), [log] {
      log->critical("shutdown deadline exceeded: exiting now");
      log->flush();
      std::_Exit(exit_deadline);
    });
  };
  signal_watcher signals;
  auto on_ignored = [log](int signo) {
    log->warn("received {}: ignored (see the signal table in docs/NODE.md)",
              signal_name(signo));
  };
  signals.start(
      [&hub, log, arm_watchdog](int signo, int count) {
        if (count == 1) {
          arm_watchdog();
          hub.post(signo);
          return;
        }
        log->warn(
            "second signal ({}) during shutdown: exiting now; changes not "
            "flushed yet are lost",
            signal_name(signo));
        log->flush();
        std::_Exit(exit_signal_base + signo);
      },
      on_ignored);
  int code = exit_ok;
  {
    caf::actor_system sys{cfg};
    code = run_service(sys, opts, log, hub);
    // Every actor the service spawned has terminated: the destructor of
    // `sys` does not wait on anything.
  }
  dog.disarm();
  signals.stop();
  // After the store closed the database: closing a descriptor of the file
  // earlier would drop SQLite's own locks on it.
  db_lock->release();
  lock->release();
  // A refusal to start was reported in one line already.
  if (code != exit_startup)
    log->info("stopped (exit code {})", code);
  return code;
}
