#pragma once

// The link to a remote cursor_node: a store forwarder
// (common/store_forwarder.hpp) configured to connect to the node's published
// front and to reconnect with backoff when the connection is lost. It has the
// store's interface (the pipelines use the `store_api` part), so the
// pipelines run the same code against a remote store as against an embedded
// one.

#include <memory>

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "common/store_forwarder.hpp"
#include "tailer/endpoint.hpp"
#include "tailer/store_api.hpp"

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::tailer {

struct link_options {
  endpoint node;
  /// Bounds one connection attempt (TCP, TLS and BASP handshakes).
  caf::timespan connect_timeout = std::chrono::seconds(5);
  /// Bounds every forwarded request.
  caf::timespan request_timeout = std::chrono::seconds(10);
  /// Backoff between connection attempts: doubled after each failure.
  caf::timespan retry_base_delay = std::chrono::milliseconds(100);
  caf::timespan retry_max_delay = std::chrono::seconds(5);
};

/// The link's type: the forwarder's (the store's public interface plus the
/// reconnection timer); it converts to `store_api`.
using store_link_actor = app::store_forwarder_actor;

/// Spawns the link and starts connecting at once, through the middleman
/// actor (the openssl manager's when TLS is configured, see
/// app::middleman_handle), asynchronously: no thread waits on a handshake.
/// Errors (the forwarder's one mapping, docs/PROTOCOL.md): the store's own
/// errors reach the requester unchanged; no answer within
/// `request_timeout` is `cursor::errc::timeout`; while not connected,
/// requests fail at once with `cursor::errc::unavailable` (not sent), and so
/// do the requests waiting for an answer when the connection is lost (they
/// may have taken effect). `log` gets one line per change of state
/// (connected, lost, unreachable), not one per attempt.
store_link_actor spawn_store_link(caf::actor_system& sys, link_options opts,
                                  std::shared_ptr<spdlog::logger> log);

} // namespace cursor::tailer
