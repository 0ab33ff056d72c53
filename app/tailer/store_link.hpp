#pragma once

// The link to a remote cursor_node: a local actor with the store's interface
// (the part the tailer uses) that forwards every request to the node's
// published front, and reconnects with backoff when the connection is lost.
// With it, the pipelines run the same code against a remote store as against
// an embedded one.

#include <memory>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>

#include "tailer/atoms.hpp"
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

using store_link_actor = store_api::extend<
    /// Internal: the delayed reconnection attempt, with a token; a stale one
    /// does nothing.
    caf::reacts_to<reconnect_atom, uint64_t>>;

/// Spawns the link and starts connecting at once, through the middleman
/// actor (the openssl manager's when TLS is configured, see
/// app::middleman_handle), asynchronously: no thread waits on a handshake.
/// While not connected, requests fail at once with
/// `errc::store_unavailable`; so do the requests waiting for an answer when
/// the connection is lost. Errors of the store's `cursor` category reach
/// the requester unchanged; every other failure of a forwarded request
/// (timeout, the node gone) becomes `errc::store_unavailable` naming the
/// cause. `log` gets one line per change of state (connected, lost,
/// unreachable), not one per attempt.
store_link_actor spawn_store_link(caf::actor_system& sys, link_options opts,
                                  std::shared_ptr<spdlog::logger> log);

} // namespace cursor::tailer
