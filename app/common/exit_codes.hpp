#pragma once

// The exit codes every program run by the process host shares (host.hpp):
// cursor_node and cursor_tailer, documented in docs/NODE.md and
// docs/TAILER.md. A program's own codes start at exit_program_first (the
// tailer's 5). cursorctl is a client, not a hosted program: its codes say
// what became of one request and are its own (cli/exit_codes.hpp).

namespace cursor::app {

/// Stopped by a shutdown signal (or, for a program that can end by itself,
/// at its end) and everything was persisted.
constexpr int exit_ok = 0;
/// Refused to start: configuration (unknown option or key, value of the
/// wrong type or out of range, stray argument, files that clash, unusable
/// metrics location or TLS files). Nothing was opened.
constexpr int exit_config = 1;
/// Refused to start: the database cannot be opened, is not ours or is held
/// by another store, or what the program needs to serve is unusable (the
/// node's port).
constexpr int exit_startup = 2;
/// Stopped, but something was not persisted (the final flush or close
/// failed; the log says what), or an actor terminated unexpectedly.
constexpr int exit_unclean = 3;
/// The shutdown took longer than `<program>.shutdown-timeout`: the store was
/// killed, or the watchdog ended the process.
constexpr int exit_deadline = 4;
/// The first code a program may define for itself.
constexpr int exit_program_first = 5;
/// A second shutdown signal during the shutdown exits at once with 128 +
/// the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports
/// a death by that signal.
constexpr int exit_signal_base = 128;

/// The exit code of one run, as failures are recorded: the first failure
/// decides, except that a passed shutdown deadline always wins (it is what
/// the operator must hear about: the process was cut short).
class exit_status {
public:
  /// Records a failure with `code` (exit_ok records nothing).
  void fail(int code) {
    if (code == exit_ok)
      return;
    if (code_ == exit_ok || code == exit_deadline)
      code_ = code;
  }

  int code() const { return code_; }

private:
  int code_ = exit_ok;
};

} // namespace cursor::app
