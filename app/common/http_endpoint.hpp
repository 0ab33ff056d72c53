#pragma once

// The HTTP endpoint of a hosted program (`<group>.http-address`): GET or
// HEAD /metrics, /healthz and /readyz, answered from the status board
// (probe_reply.hpp) by libmicrohttpd's own thread. Serving a request reads
// one snapshot of the board under its lock and never talks to an actor, so
// no client, however slow or hostile, can stall the store or the program.
//
// libmicrohttpd (Debian's libmicrohttpd-dev, 0.9.75) parses HTTP; it runs one
// internal thread on epoll and has the limits a hostile client needs: a
// connection limit, a per-IP connection limit, an idle timeout and a memory
// pool per connection for the request line and the headers (a request that
// does not fit is answered 431 or 414 and closed). On top of its idle
// timeout, which a client trickling one byte at a time never triggers (the
// slowloris attack), the endpoint gives every request a deadline: a
// connection that has not received its answer `timeout` after it opened, or
// after its previous answer, is shut down by a reaper thread. The library's
// idle timeout is set to twice the deadline, a backstop only: set equal, it
// raced the reaper (a trickling client was cut by either at 3 s). See
// docs/NODE.md, "HTTP endpoint".

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "common/endpoint.hpp"
#include "common/probe_reply.hpp"

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::app {

class status_board;

/// The endpoint's limits (`<group>.http-*`).
struct http_limits {
  /// Connections served at once; one more is closed as soon as it is
  /// accepted. Each takes a descriptor: keep it well below the descriptor
  /// limit (the host refuses more than a quarter of it).
  unsigned max_connections = 32;
  /// Connections from one IP address at once; one more is closed at once.
  unsigned per_ip = 8;
  /// Each request must be answered within this time of its connection's
  /// opening or of the previous answer on that connection; an idle
  /// keep-alive connection is closed after it too. Whole seconds (the
  /// library's idle timeout, twice this as a backstop, has that resolution).
  std::chrono::seconds timeout{10};
  /// Bytes per connection for the request line and the headers.
  size_t memory_per_connection = 16 * 1024;
};

/// The per-IP limit that goes with `max_connections`: a quarter of it, at
/// least 1, so that one address cannot take every connection.
unsigned per_ip_limit(unsigned max_connections);

/// A running endpoint; destroying it closes the listening socket and every
/// connection and joins its threads. Not copyable, not movable.
class http_endpoint {
public:
  /// Listens on `where` (a host name is resolved; port 0 picks a free port;
  /// SO_REUSEADDR, as the node's BASP port) and starts serving `board`,
  /// which must outlive the endpoint. Returns null and sets `error` (one
  /// line: "Address already in use") when the address does not resolve or
  /// cannot be bound. `log` receives libmicrohttpd's own messages (limits
  /// reached, resources exhausted) as warnings, at most one every ten
  /// seconds, the rest at debug level.
  static std::unique_ptr<http_endpoint>
  start(const endpoint& where, const http_limits& limits,
        const status_board& board, probe_rules rules,
        std::shared_ptr<spdlog::logger> log, std::string& error);

  ~http_endpoint();

  http_endpoint(const http_endpoint&) = delete;
  http_endpoint& operator=(const http_endpoint&) = delete;

  /// Where it listens, with the port it got: "127.0.0.1:9464", "[::1]:9464".
  const std::string& address() const;

  /// Whether that address is a loopback address (127.0.0.0/8, ::1).
  bool loopback() const;

  /// Connections shut down by the request deadline so far.
  uint64_t deadline_closes() const;

  struct impl;

private:
  explicit http_endpoint(std::unique_ptr<impl> x);

  std::unique_ptr<impl> impl_;
};

} // namespace cursor::app
