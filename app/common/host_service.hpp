#pragma once

// One run of a hosted program, from the store's opening to the end of the
// shutdown, on the calling thread (host.hpp runs it on the main thread).

#include <memory>
#include <optional>

#include <caf/fwd.hpp>

#include "common/host_context.hpp"
#include "common/host_options.hpp"

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::app {

class program;
class signal_hub;
class status_board;

/// Runs `prog` on `sys` and returns the exit code (exit_codes.hpp, plus the
/// program's own):
/// 1. with an embedded store (`opts.store`): opens it (blocking, at most
///    `cursor.open-timeout`) and asks it how many cursors it loaded; a
///    failure is one refusal line on stderr (exit 2);
/// 2. starts the program (program::start); a refusal stops the store again
///    quietly (exit 2). Then logs the warning that the database did not
///    exist (when `new_database`), the program's start line, and tells
///    systemd READY=1;
/// 3. serves: every `<group>.metrics-interval` (when a metrics file or an
///    HTTP address is configured) refreshes the metrics and readiness on
///    `board` and rewrites the file; hands the program's messages to its
///    handlers; ends at the first signal from `signals`, when the store
///    terminates (exit 3), or when the program ends the run;
/// 4. shuts down within `<group>.shutdown-timeout`: STOPPING=1, the
///    program stops taking work, the store's final flush (close), the
///    metrics once more (the program's waited for up to the deadline, so
///    that the last file holds its final state), the program's actors
///    released, the store stopped
///    (killed at the deadline, naming every change not persisted: exit 4).
/// Every actor it or the program spawned has terminated when it returns, so
/// the caller can destroy `sys` without hanging. The caller bounds the
/// shutdown as a whole with a watchdog.
class host_service {
public:
  host_service(caf::actor_system& sys, program& prog, const host_options& opts,
               std::shared_ptr<spdlog::logger> log, signal_hub& signals,
               status_board& board);

  host_service(const host_service&) = delete;
  host_service& operator=(const host_service&) = delete;

  int run(bool new_database);

private:
  void refuse(const std::string& text);
  bool open_store();
  void stop_store_quietly();
  void serve();
  bool refreshes() const;
  /// `program_wait`: how long the program's metrics may take; by default
  /// the refresh's own bound (see refresh()).
  void refresh(std::optional<caf::timespan> program_wait = std::nullopt);
  void close_store(host_context::clock::time_point deadline);
  void stop_store(host_context::clock::time_point deadline);
  void log_unpersisted(caf::timespan timeout);
  int shut_down();

  program& program_;
  host_context ctx_;
  signal_hub& signals_;
  status_board& board_;
  caf::timespan reserve_{0};
  bool metrics_failing_ = false;
};

} // namespace cursor::app
