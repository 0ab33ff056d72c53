#pragma once

// What the HTTP endpoint (http_endpoint.hpp) answers, decided from the
// status board alone: a pure function of the request line and one snapshot,
// so that every answer is tested without sockets and the HTTP thread never
// waits for an actor.
//
//   path       200 when                                  else
//   /metrics   a refresh was published                   503 "no metrics yet"
//   /healthz   the host's loop is not stuck              503 "not live: ..."
//   /readyz    serving, the last refresh found nothing   503 "not ready: ..."
//              wrong, and it is recent
//   other      -                                         404
//
// A known path with a method other than GET or HEAD is 405 (Allow: GET,
// HEAD); HEAD gets the headers of GET (the HTTP library leaves out the
// body). The host's loop is stuck when, while serving, its last refresh is
// older than `stale_after`: the board then no longer vouches for anything,
// so /readyz is 503 and /healthz is 503 (a restart is the remedy for a stuck
// process). While starting and stopping the process is live: both phases
// are bounded (cursor.open-timeout, <group>.shutdown-timeout and its
// watchdog), and a liveness failure during the shutdown would make an
// orchestrator send the second signal that ends the final flush at once.

#include <chrono>
#include <string>
#include <string_view>

#include "common/status_board.hpp"

namespace cursor::app {

/// How the endpoint judges the board.
struct probe_rules {
  /// A refresh older than this while serving means the host's loop is stuck
  /// (the host uses 3 x `<group>.metrics-interval` + 10 s).
  std::chrono::nanoseconds stale_after = std::chrono::seconds(15);
  /// Prefix of the two gauges /metrics adds to the board's text:
  /// `<prefix>_metrics_age_seconds` and `<prefix>_ready`.
  std::string metrics_prefix = "replication";
};

/// One HTTP answer.
struct http_reply {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  /// The Allow header's value; set for 405 only.
  std::string allow;
};

/// The answer to `method` on `path` (the path without its query string, as
/// the HTTP library hands it over) given `board` read at `now`.
http_reply answer_probe(std::string_view method, std::string_view path,
                        const status_board::snapshot& board,
                        status_board::clock::time_point now,
                        const probe_rules& rules);

/// Why the process is not ready, or an empty string when it is: the
/// decision behind /readyz and the `<prefix>_ready` gauge.
std::string not_ready_reason(const status_board::snapshot& board,
                             status_board::clock::time_point now,
                             const probe_rules& rules);

} // namespace cursor::app
