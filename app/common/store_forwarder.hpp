#pragma once

// The store forwarder: a local actor with the store's public interface that
// forwards every request to a cursor store and relays the answer, with one
// mapping of what can go wrong on the way. Both programs use it:
// - the node's front (app/node/front.hpp): the actor the node publishes, in
//   front of its own store;
// - the tailer's link to a remote node (app/tailer/store_link.hpp): connects
//   to a node's published front, and reconnects with backoff.
// What differs between them is configuration (`forwarder_options`): where
// the store is (a handle, or a node to connect to), how a backup name
// becomes a path, whether `close` is refused, whether exit messages are
// survived. The forwarding, the error mapping and the refusals are one code.
//
// Errors a requester gets (the table: docs/PROTOCOL.md, "Errors through a
// forwarder"):
// - the store answered an error of the `cursor` category: unchanged;
// - the store refused the message (CAF's unexpected_message: another
//   version) or answered what the requester cannot read (CAF's
//   unexpected_response): unchanged;
// - no answer within `request_timeout`: errc::timeout (it may or may not
//   have taken effect);
// - the store is gone, or not connected: errc::unavailable (not sent, no
//   effect);
// - the store, or the connection to it, went away while the request
//   waited (any other failure): errc::unavailable (it may or may not have
//   taken effect).
// The context of a timeout or unavailable error names the store, the cause
// and whether the request may have taken effect.
//
// Never `delegate()`: that would hand the store's handle to the (possibly
// remote) requester; every answer goes through a response promise.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>

#include "cursor_actor/actors.hpp"

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::app {

using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
constexpr reconnect_atom reconnect_atom_v = reconnect_atom{};

/// The forwarder's own type: the store's public interface plus its
/// reconnection timer. A host hands it out (or publishes it) as a
/// `cursor_actor`; the timer message is accepted from the forwarder itself
/// only, anyone else gets `sec::unexpected_message`.
using store_forwarder_actor = cursor_actor::extend<
    /// reconnect(token): the delayed next connection attempt; a stale token
    /// does nothing.
    caf::reacts_to<reconnect_atom, uint64_t>>;

/// A cursor node to connect to, instead of a store handle.
struct remote_store {
  std::string host;
  uint16_t port = 0;
  /// Bounds one connection attempt (TCP, TLS and BASP handshakes).
  caf::timespan connect_timeout = std::chrono::seconds(5);
  /// Backoff between connection attempts: doubled after each failure.
  caf::timespan retry_base_delay = std::chrono::milliseconds(100);
  caf::timespan retry_max_delay = std::chrono::seconds(5);
  /// The actor asked to connect (`connect_atom, host, port`). Null: the
  /// middleman's (app::middleman_handle, the openssl manager's with TLS).
  /// Tests put a scripted one here.
  caf::io::middleman_actor connector;
};

struct forwarder_options {
  /// Names the store in errors and log lines ("the store", "the cursor node
  /// at 127.0.0.1:4242").
  std::string store_name = "the store";
  /// Bounds every forwarded request; past it the requester gets
  /// errc::timeout.
  caf::timespan request_timeout = std::chrono::seconds(30);
  /// Set: connect to this node through the middleman actor (the openssl
  /// manager's with TLS, see app::middleman_handle), asynchronously, and
  /// reconnect with backoff whenever the connection is lost. Requests while
  /// not connected fail at once with errc::unavailable; those waiting when
  /// the connection is lost too. One log line per change of state
  /// (connected, lost, unreachable, reconnected), not one per attempt.
  /// Unset: forward to the handle given to spawn_store_forwarder, which is
  /// monitored, not linked (killing the forwarder kills only it); once that
  /// store is gone, the requests waiting on it fail at once with
  /// errc::unavailable, and so does every later request (not sent).
  std::optional<remote_store> remote;
  /// Set: maps a backup request's argument to the path the store gets, or
  /// refuses it with the error returned. Unset: forwarded unchanged.
  std::function<caf::expected<std::string>(const std::string&)> backup_path;
  /// Set: `close` is refused with `sec::unexpected_message` and this
  /// reason. Unset: forwarded.
  std::optional<std::string> refuse_close;
  /// Whether exit messages other than `kill` are ignored (a published actor:
  /// any peer can send them). Stray error messages, and down messages not
  /// sent by the target itself, are always ignored.
  bool survive_exit_messages = false;
};

/// The one error mapping of a forwarded request that failed with `err` (see
/// the table above). `store_name` and `timeout` go into the context.
caf::error forwarded_error(const caf::error& err, const std::string& store_name,
                           caf::timespan timeout);

/// Spawns a forwarder to `store` (ignored, may be null, with
/// `opts.remote`). `log` gets the forwarder's lines (refusals at debug
/// level; the connection's changes of state at info/warning).
store_forwarder_actor
spawn_store_forwarder(caf::actor_system& sys, cursor_actor store,
                      forwarder_options opts,
                      std::shared_ptr<spdlog::logger> log);

} // namespace cursor::app
