#pragma once

// SIGINT/SIGTERM handling without signal handlers: the signals are blocked in
// every thread and a dedicated thread takes them with sigwait(), so the
// callback runs in ordinary thread context and may log, send messages or
// exit.

#include <functional>
#include <thread>

namespace cursor::app {

class signal_watcher {
public:
  /// Called with the signal number and how many SIGINT/SIGTERM arrived so
  /// far (1 for the first).
  using callback = std::function<void(int signo, int count)>;

  /// Blocks SIGINT, SIGTERM and the watcher's internal wake-up signal in the
  /// calling thread. Call it first thing in main, before any other thread
  /// starts, so that every thread inherits the mask and only the watcher
  /// thread ever takes these signals.
  static void block_signals();

  signal_watcher() = default;
  signal_watcher(const signal_watcher&) = delete;
  signal_watcher& operator=(const signal_watcher&) = delete;
  ~signal_watcher();

  /// Starts the watcher thread.
  void start(callback f);

  /// Stops and joins the watcher thread; signals arriving afterwards stay
  /// pending (blocked) until the process exits.
  void stop();

private:
  std::thread thread_;
};

} // namespace cursor::app
