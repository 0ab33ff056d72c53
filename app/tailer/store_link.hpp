#pragma once

// The link to a remote cursor_node: a store forwarder
// (common/store_forwarder.hpp) configured to connect to the node's published
// front, to reconnect with backoff when the connection is lost, and to replay
// the positions the node acknowledged at each reconnection (its hooks). It
// has the store's interface (the pipelines use the `store_api` part), so the
// pipelines run the same code against a remote store as against an embedded
// one.

#include <memory>

#include <caf/fwd.hpp>
#include <caf/io/middleman_actor.hpp>
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
  /// Bounds every forwarded request, and each set of the replay.
  caf::timespan request_timeout = std::chrono::seconds(10);
  /// Backoff between connection attempts: doubled after each failure.
  caf::timespan retry_base_delay = std::chrono::milliseconds(100);
  caf::timespan retry_max_delay = std::chrono::seconds(5);
  /// Whom to ask for the connection: the middleman's actor when null
  /// (app::middleman_handle); a scripted actor in the unit tests.
  caf::io::middleman_actor connector;
};

/// The link's type: the forwarder's (the store's public interface, the
/// reconnection timer and `forget`); it converts to `store_api`.
/// forget(peer): the peer stopped for good; its acknowledged position is no
/// longer sent again after a reconnection (see below), so that an
/// operator's repair of its cursor on the node stands.
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
///
/// The link remembers the last position the node acknowledged for every
/// peer not forgotten. A node that crashed lost what it acknowledged and had
/// not flushed, and the pipelines, which count those positions as recorded,
/// would not send them again (an idle peer never would; the final flush
/// would succeed without them). From where the link stands a node that
/// restarted and a connection that broke look alike, so every connection
/// after the first starts with a replay (the forwarder's connection step):
/// those positions as one batched set, answered before anything else is
/// forwarded (requests arriving meanwhile wait for it, in order), so a flush
/// forwarded afterwards covers them. What the node may hold by then, per
/// peer:
/// - the position, or nothing / an older one after a crash: set (again);
/// - a newer one (another tailer or an operator moved it): the node refuses
///   the regression; the batch is then sent peer by peer, each refusal is
///   logged and that peer dropped from the replay; the others go through
///   and the link is ready (the pipeline is refused at its next record);
/// - nothing or an older one after an operator deleted or rewound it: set
///   again, as the running pipeline's next record would; a stopped peer is
///   forgotten first (forget), so an operator's repair of it stands.
/// A replay that fails otherwise (timeout, the node gone) counts as a
/// failed connection: the requests waiting for it fail with
/// `cursor::errc::unavailable` (not sent), and the next connection, after
/// the backoff, replays again.
store_link_actor spawn_store_link(caf::actor_system& sys, link_options opts,
                                  std::shared_ptr<spdlog::logger> log);

} // namespace cursor::tailer
