#pragma once

// What a hosted program (node, tailer) says about itself to the outside, in
// one place: its metrics text and whether it is live and ready. The host's
// loop fills it; the metrics file is written from it, and an HTTP endpoint
// (/metrics, /healthz, /readyz; issue 21) reads it from its own thread. A
// reader never talks to an actor, so a slow or hostile reader cannot stall
// the store or the program.

#include <cstdint>
#include <mutex>
#include <string>

namespace cursor::app {

/// Where the process is in its life.
enum class host_phase {
  /// Configured; the store opening, the program starting.
  starting,
  /// Started (the node listens, the tailer's peers run) until the shutdown
  /// begins.
  serving,
  /// The shutdown began (first signal, or the program ended its run).
  stopping,
};

/// The name of a phase for log lines and probes ("serving").
const char* to_string(host_phase phase);

/// Thread-safe: the host's thread writes, any thread reads.
class status_board {
public:
  /// What a reader gets, copied under the lock.
  struct snapshot {
    host_phase phase = host_phase::starting;
    /// The last refresh's metrics text (Prometheus text format 0.0.4);
    /// empty before the first refresh.
    std::string metrics;
    /// Empty when ready; otherwise why not, one line.
    std::string not_ready;
    /// How many refreshes published so far.
    uint64_t refreshes = 0;

    /// Live: the process has not begun its shutdown.
    bool live() const { return phase != host_phase::stopping; }
    /// Ready: serving, and the last refresh found nothing wrong.
    bool ready() const {
      return phase == host_phase::serving && not_ready.empty();
    }
  };

  void set_phase(host_phase phase);

  /// Publishes one refresh: the whole metrics text and the reason the
  /// process is not ready (empty = ready).
  void publish(std::string metrics, std::string not_ready);

  snapshot read() const;

private:
  mutable std::mutex mtx_;
  snapshot state_;
};

} // namespace cursor::app
