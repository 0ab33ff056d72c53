#pragma once

// The process host as a hosted program sees it while it runs (program.hpp).

#include <chrono>
#include <cstdint>
#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/timespan.hpp>

#include "common/exit_codes.hpp"
#include "common/host_options.hpp"
#include "cursor_actor/actors.hpp"

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::app {

/// The host's side of a run: the actor system, the host's own blocking actor
/// on the host's thread, the options, the log, the embedded store, and the
/// run's exit code. Every call is made on the host's thread (from a
/// program's hooks), never from an actor.
class host_context {
public:
  using clock = std::chrono::steady_clock;

  host_context(caf::actor_system& sys, const host_options& opts,
               std::shared_ptr<spdlog::logger> log);

  host_context(const host_context&) = delete;
  host_context& operator=(const host_context&) = delete;

  caf::actor_system& system() { return sys_; }

  /// The host's blocking actor: for requests answered with `receive`, and
  /// as the supervisor the program's actors report to. A message it does
  /// not handle itself (signals, the store's down message) goes to the
  /// program's handlers() or on_down().
  caf::scoped_actor& self() { return self_; }

  /// self() as a handle to give to the program's actors.
  caf::actor supervisor() { return caf::actor_cast<caf::actor>(self_); }

  const host_options& options() const { return opts_; }

  spdlog::logger& log() { return *log_; }
  const std::shared_ptr<spdlog::logger>& logger() const { return log_; }

  /// The embedded store; null when the program uses a store elsewhere, and
  /// once the store terminated.
  const cursor_actor& store() const { return store_; }

  /// How many cursors the embedded store loaded when it opened.
  uint64_t restored() const { return restored_; }

  /// Ends the serving loop (the shutdown follows) and records `code` as
  /// fail() does. Call it from handlers() or on_down().
  void end_run(int code = exit_ok);

  /// Records a failure: see exit_status.
  void fail(int code) { status_.fail(code); }

  /// False once end_run() was called.
  bool running() const { return running_; }

  int exit_code() const { return status_.code(); }

  /// The time left until `deadline`, at least 1 ms (a request with a zero
  /// timeout would fail before it is sent).
  static caf::timespan until(clock::time_point deadline);

private:
  friend class host_service;

  caf::actor_system& sys_;
  const host_options& opts_;
  std::shared_ptr<spdlog::logger> log_;
  caf::scoped_actor self_;
  cursor_actor store_;
  uint64_t restored_ = 0;
  bool running_ = true;
  exit_status status_;
};

} // namespace cursor::app
