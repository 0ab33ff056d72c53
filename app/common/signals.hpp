#pragma once

// Signal handling without signal handlers: every signal whose default action
// would end the process is blocked in every thread and a dedicated thread
// takes them with sigwait(), so the callbacks run in ordinary thread context
// and may log, send messages or exit. See the table in docs/NODE.md.

#include <functional>
#include <string>
#include <thread>

namespace cursor::app {

/// What the process does with a signal.
enum class signal_action {
  /// Final flush and clean exit: INT, TERM, HUP, QUIT, XCPU, PWR.
  shut_down,
  /// Logged and otherwise ignored: USR1, USR2, ALRM, VTALRM, PROF, POLL,
  /// STKFLT, SYS sent by kill(2), the real-time signals.
  log_and_ignore,
  /// Ignored silently (SIG_IGN), so that the system call fails instead of
  /// the process dying: PIPE (EPIPE), XFSZ (EFBIG surfaces as a storage
  /// error).
  ignore,
  /// Not handled: the default action. KILL and STOP cannot be handled;
  /// SEGV, BUS, FPE, ILL, ABRT, TRAP report a fault of the process itself
  /// (or a deliberate request for a core dump) and end it like SIGKILL;
  /// CHLD, CONT, URG, WINCH, TSTP, TTIN, TTOU keep their harmless defaults.
  by_default,
};

/// The action for `signo` (a number of 1 to SIGRTMAX).
signal_action action_of(int signo);

/// The signal's name for log lines, e.g. "SIGTERM", "SIGRTMIN+3".
std::string signal_name_of(int signo);

class signal_watcher {
public:
  /// Called with the signal number and how many shutdown signals arrived so
  /// far (1 for the first). A repeated SIGXCPU (the kernel sends one per
  /// second of CPU time over the soft limit) counts once.
  using callback = std::function<void(int signo, int count)>;
  /// Called for a signal that is logged and ignored.
  using ignored_callback = std::function<void(int signo)>;

  /// Blocks every signal of the shut_down and log_and_ignore classes in the
  /// calling thread and sets PIPE and XFSZ to SIG_IGN. Call it first thing
  /// in main, before any other thread starts, so that every thread inherits
  /// the mask and only the watcher thread ever takes these signals.
  static void block_signals();

  signal_watcher() = default;
  signal_watcher(const signal_watcher&) = delete;
  signal_watcher& operator=(const signal_watcher&) = delete;
  ~signal_watcher();

  /// Starts the watcher thread.
  void start(callback on_shutdown, ignored_callback on_ignored);

  /// Stops and joins the watcher thread; signals arriving afterwards stay
  /// pending (blocked) until the process exits.
  void stop();

private:
  std::thread thread_;
};

} // namespace cursor::app
