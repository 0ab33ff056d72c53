#pragma once

// What a hosted program (node, tailer) says about itself to the outside, in
// one place: its phase, its metrics text and whether it is ready. The host's
// loop fills it; the metrics file is written from it, and the HTTP endpoint
// (/metrics, /healthz, /readyz: http_endpoint.hpp) reads it from its own
// thread. A reader never talks to an actor, so a slow or hostile reader
// cannot stall the store or the program.

#include <chrono>
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
  using clock = std::chrono::steady_clock;

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
    /// When the last refresh was published; meaningless before the first.
    /// A reader compares it with its own clock: a host loop that stopped
    /// refreshing shows as an old board (probe_reply.hpp).
    clock::time_point refreshed_at;

    /// Ready as far as the last refresh knows: serving, and nothing wrong.
    /// Whether that refresh is recent is the reader's question.
    bool ready() const {
      return phase == host_phase::serving && not_ready.empty();
    }
  };

  void set_phase(host_phase phase);

  /// Publishes one refresh: the whole metrics text and the reason the
  /// process is not ready (empty = ready), stamped with the time now.
  void publish(std::string metrics, std::string not_ready);

  snapshot read() const;

private:
  mutable std::mutex mtx_;
  snapshot state_;
};

} // namespace cursor::app
