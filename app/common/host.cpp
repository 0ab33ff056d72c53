#include "common/host.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "cursor_actor/allocator.hpp"

#include "common/database_lock.hpp"
#include "common/descriptor_limit.hpp"
#include "common/exit_codes.hpp"
#include "common/file_guard.hpp"
#include "common/host_config.hpp"
#include "common/host_service.hpp"
#include "common/http_endpoint.hpp"
#include "common/lock_file.hpp"
#include "common/logging.hpp"
#include "common/metrics_file.hpp"
#include "common/program.hpp"
#include "common/signal_hub.hpp"
#include "common/signals.hpp"
#include "common/standard_streams.hpp"
#include "common/status_board.hpp"
#include "common/watchdog.hpp"

namespace cursor::app {

namespace {

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

// The checks of every file the process writes, before it writes any
// (docs/NODE.md, "Files and locks"). The same files are the ones an online
// backup may never be written to: the store refuses them.
std::string check_files(const program_traits& traits, const host_options& opts,
                        std::vector<std::string>& guarded) {
  if (!opts.metrics_file.empty())
    if (auto err = check_writable_location(opts.metrics_file); !err.empty())
      return err;
  std::vector<written_file> files;
  if (opts.store) {
    files = database_files("cursor.db-path", opts.store->storage.db_path);
    files.push_back({traits.group + ".lock-file", opts.lock_file, {}});
  }
  if (!opts.metrics_file.empty())
    files.push_back({traits.group + ".metrics-file", opts.metrics_file, {}});
  if (auto err = check_distinct_files(files); !err.empty())
    return "invalid configuration: " + err;
  for (auto& x : files)
    guarded.push_back(x.path);
  return {};
}

// The HTTP endpoint of `opts`, started before the actor system so that it
// answers (live, not ready) while the store opens; null without an address.
// A refusal is one line in `error`.
std::unique_ptr<http_endpoint>
start_http(const program_traits& traits, const host_options& opts,
           const status_board& board,
           const std::shared_ptr<spdlog::logger>& log, std::string& error) {
  if (!opts.http_address)
    return nullptr;
  http_limits limits;
  limits.max_connections = opts.http_max_connections;
  limits.per_ip = per_ip_limit(opts.http_max_connections);
  limits.timeout = opts.http_timeout;
  probe_rules rules;
  // A refresh is due one metrics interval after the previous one and waits
  // at most one interval for the program's answers and one for the
  // store's: a gap of three intervals is possible without anything wrong,
  // and 10 s more leave room for a loaded machine.
  rules.stale_after = 3 * opts.metrics_interval + std::chrono::seconds(10);
  rules.metrics_prefix = traits.metrics_prefix.empty()
                             ? "replication_" + traits.group
                             : traits.metrics_prefix;
  std::string reason;
  auto http = http_endpoint::start(*opts.http_address, limits, board, rules,
                                   log, reason);
  if (!http) {
    error = "cannot listen for HTTP on " + opts.http_address->to_string() + ": "
            + reason;
    return nullptr;
  }
  log->info("HTTP endpoint on {}: /metrics, /healthz, /readyz (at most {} "
            "connections, {} per address, {} s per request)",
            http->address(), limits.max_connections, limits.per_ip,
            limits.timeout.count());
  if (!http->loopback())
    log->warn("the HTTP endpoint on {} is not on a loopback address: anyone "
              "who reaches the port reads the metrics (peer names, stream "
              "IDs); it has no TLS and no authentication (bind 127.0.0.1 or "
              "firewall the port)",
              http->address());
  return http;
}

} // namespace

int run_host(program& prog, int argc, char** argv) {
  const auto& traits = prog.traits();
  auto refuse = [&](int code, const std::string& text) {
    std::cerr << traits.info.name << ": error: " << text << std::endl;
    return code;
  };
  // Before anything is opened: a closed stderr would otherwise become the
  // lock file or the database, and the log would be written into it.
  prepare_standard_streams();
  // No allocator backlog pauses the store (cursor_actor/allocator.hpp).
  limit_allocator_pauses();
  // Before any thread exists, so that every thread inherits the mask and
  // only the watcher thread takes the signals (docs/NODE.md, "Signals").
  signal_watcher::block_signals();
  auto limit_note = raise_descriptor_limit();
  host_config cfg{prog};
  auto outcome = cfg.read(argc, argv);
  if (outcome.printed_help) {
    // The help is the whole output: it must have reached stdout.
    if (auto err = finish_stdout(); !err.empty())
      return refuse(exit_config, err);
    return exit_ok;
  }
  if (!outcome.options)
    return refuse(exit_config, outcome.error);
  auto& opts = *outcome.options;
  std::vector<std::string> guarded;
  if (auto err = check_files(traits, opts, guarded); !err.empty())
    return refuse(exit_config, err);
  if (opts.store)
    opts.store->storage.protected_files = std::move(guarded);
  std::string created_dir;
  std::optional<lock_file> lock;
  std::optional<database_lock> db_lock;
  if (opts.store) {
    const auto& db_path = opts.store->storage.db_path;
    if (auto err = prepare_directory(db_path, created_dir); !err.empty())
      return refuse(exit_startup, err);
    // Two stores on one database would each trust their own memory.
    std::string lock_error;
    lock = lock_file::acquire(opts.lock_file, lock_error);
    if (!lock)
      return refuse(exit_startup,
                    "cannot use the database '" + db_path + "': " + lock_error);
    // The lock file is keyed on a name; this lock is on the database file.
    db_lock = database_lock::acquire(db_path, lock_error);
    if (!db_lock)
      return refuse(exit_startup,
                    "cannot use the database '" + db_path + "': " + lock_error);
  }
  auto log = setup_logging(opts.log_level, traits.group.c_str());
  if (!limit_note.empty())
    log->info("{}", limit_note);
  prog.prepare(log, opts);
  if (opts.tls.enabled()) {
    if (traits.tls == tls_role::server)
      log->info("mutual TLS: certificate '{}' ({}); clients need a "
                "certificate signed by a CA in '{}' (host names are not "
                "checked)",
                opts.tls.certificate, outcome.tls_summary, opts.tls.ca_file);
    else
      log->info("mutual TLS to the cursor node: certificate '{}' ({}); the "
                "node's certificate must be signed by a CA in '{}'",
                opts.tls.certificate, outcome.tls_summary, opts.tls.ca_file);
    if (!outcome.tls_warning.empty())
      log->warn("{}", outcome.tls_warning);
  }
  if (!created_dir.empty())
    log->warn("created the missing database directory '{}'", created_dir);
  status_board board;
  std::string http_error;
  auto http = start_http(traits, opts, board, log, http_error);
  if (!http_error.empty())
    return refuse(exit_startup, http_error);
  signal_hub hub;
  watchdog dog;
  auto arm_watchdog = [&] {
    // Every wait of the shutdown is bounded by the deadline; this catches
    // what cannot be bounded, e.g. a thread stuck in a system call that
    // keeps the actor_system destructor waiting.
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
      [&hub, log, arm_watchdog, &traits](int signo, int count) {
        if (count == 1) {
          arm_watchdog();
          hub.post(signo);
          return;
        }
        log->warn("second signal ({}) during shutdown: exiting now; {}",
                  signal_name(signo), traits.unflushed);
        log->flush();
        std::_Exit(exit_signal_base + signo);
      },
      on_ignored);
  int code = exit_ok;
  {
    caf::actor_system sys{cfg};
    host_service service{sys, prog, opts, log, hub, board};
    code = service.run(db_lock && db_lock->found_empty());
    // Also when the run ended without a signal (the store died, every peer
    // stopped): the destructor below waits for detached actors to finish
    // their current call.
    arm_watchdog();
  }
  // Answered "stopping" until here; then the port closes.
  http.reset();
  dog.disarm();
  signals.stop();
  // After the store closed the database: closing a descriptor of the file
  // earlier would drop SQLite's own locks on it.
  if (db_lock)
    db_lock->release();
  if (lock)
    lock->release();
  // A refusal to start was reported in one line already.
  if (code != exit_startup)
    log->info("stopped (exit code {})", code);
  return code;
}

} // namespace cursor::app
