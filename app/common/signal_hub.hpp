#pragma once

// Hands signals from the watcher thread to the main loop (node, tailer).

#include <csignal>
#include <mutex>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>

namespace cursor::app {

using signal_atom = caf::atom_constant<caf::atom("signal")>;

/// Routes the first shutdown signal (SIGINT, SIGTERM, SIGHUP, ...) to the main
/// loop as a `(signal_atom, int32_t)` message. The loop registers itself with
/// set_target() and unregisters before it ends; a signal arriving while no loop
/// listens is remembered and picked up by take_pending().
class signal_hub {
public:
  void set_target(caf::actor target);
  void clear_target();
  /// Called from the watcher thread.
  void post(int signo);
  /// Returns the signal that arrived while nobody listened, or 0.
  int take_pending();

private:
  std::mutex mtx_;
  caf::actor target_;
  int pending_ = 0;
};

/// The name of a signal for log lines ("SIGTERM").
std::string signal_name(int signo);

} // namespace cursor::app
