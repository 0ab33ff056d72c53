#pragma once

// The link to a remote cursor_node: a local actor with the store's interface
// (the part the tailer uses) that forwards every request to the node's
// published front, and reconnects with backoff when the connection is lost.
// With it, the pipelines run the same code against a remote store as against
// an embedded one.

#include <memory>

#include <caf/actor.hpp>
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
  /// Whom to ask for the connection (`connect_atom, host, port` answered
  /// with `node_id, strong_actor_ptr, std::set<std::string>`): the
  /// middleman's actor when null (app::middleman_handle); a scripted actor
  /// in the unit tests.
  caf::actor connector;
};

using store_link_actor = store_api::extend<
    /// forget(peer): the peer stopped for good; its acknowledged position is
    /// no longer sent again after a reconnection (see below), so that an
    /// operator's repair of its cursor on the node stands.
    caf::reacts_to<forget_atom, std::string>,
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
///
/// The link remembers the last position the node acknowledged for every
/// peer not forgotten. A node that crashed lost what it acknowledged and had
/// not flushed, and the pipelines, which count those positions as recorded,
/// would not send them again (an idle peer never would; the final flush
/// would succeed without them). From where the link stands a node that
/// restarted and a connection that broke look alike, so every connection
/// after the first starts with a replay: those positions as one batched
/// set, answered before anything else is forwarded (requests arriving
/// meanwhile wait for it, in order), so a flush forwarded afterwards covers
/// them. What the node may hold by then, per peer:
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
/// `errc::store_unavailable`, and the next connection replays again.
store_link_actor spawn_store_link(caf::actor_system& sys, link_options opts,
                                  std::shared_ptr<spdlog::logger> log);

} // namespace cursor::tailer
