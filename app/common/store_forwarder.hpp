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
// survived, and the hooks (`forwarder_hooks`: a step at each connection that
// holds requests until it ends, a call for each acknowledged set, what
// `forget` does), with which the tailer's link replays acknowledged
// positions to a node that restarted; the node's front sets none. The
// forwarding, the error mapping and the refusals are one code.
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
#include <vector>

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
using forget_atom = caf::atom_constant<caf::atom("forget")>;
constexpr reconnect_atom reconnect_atom_v = reconnect_atom{};
constexpr forget_atom forget_atom_v = forget_atom{};

/// The forwarder's own type: the store's public interface plus its
/// reconnection timer and `forget`. A host hands it out (or publishes it) as
/// a `cursor_actor`; the timer message is accepted from the forwarder itself
/// only, anyone else gets `sec::unexpected_message`.
using store_forwarder_actor = cursor_actor::extend<
    /// reconnect(token): the delayed next connection attempt; a stale token
    /// does nothing.
    caf::reacts_to<reconnect_atom, uint64_t>,
    /// forget(peer): handed to `forwarder_hooks::forget`; without that hook
    /// refused with `sec::unexpected_message` (the node's front).
    caf::reacts_to<forget_atom, std::string>>;

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

/// What a connection step (`forwarder_hooks::on_connect`) can do with the
/// store it runs against. Every function is called in the forwarder's
/// context (from the hook or from a `then` it got), never later than the
/// connection: once it is lost, or the step ended, they do nothing and
/// answers still to come are dropped.
struct connection_step {
  /// Sends set(peers, ids) (one batch: all or nothing) to the store, bounded
  /// by `request_timeout`; `then` gets no error when the store acknowledged
  /// it, else the error as CAF reported it (not mapped: a timeout is
  /// `sec::request_timeout`). Not reported to `on_acked_set`.
  std::function<void(std::vector<std::string> peers,
                     std::vector<std::string> ids,
                     std::function<void(const caf::error&)> then)>
      send_set;
  /// Ends the step: the requests held meanwhile are forwarded, in order.
  std::function<void()> done;
  /// Ends the step as a failed connection: the store is dropped, the held
  /// requests fail with errc::unavailable (not sent) naming `why`, and the
  /// next attempt follows the backoff (it runs the step again).
  std::function<void(const std::string& why)> fail;
};

/// Additions to the forwarding, for a configuration that keeps state about
/// what went through (the tailer's link replays acknowledged positions with
/// them: tailer/store_link.hpp). Each is optional; the node's front sets
/// none.
struct forwarder_hooks {
  /// Remote only: runs at each connection (the first too), before anything
  /// is forwarded to the store; requests that arrive until the step ends
  /// wait, in order. It must end the step (`done` or `fail`), at once or
  /// from an answer. Null: requests are forwarded at once.
  std::function<void(connection_step)> on_connect;
  /// Called with each plain set (one peer: vectors of one) the store
  /// acknowledged, before the requester gets the answer. Forced sets are
  /// not reported.
  std::function<void(const std::vector<std::string>& peers,
                     const std::vector<std::string>& ids)>
      on_acked_set;
  /// forget(peer): what the configuration does when a peer no longer
  /// concerns it. Null: the message is refused.
  std::function<void(const std::string& peer)> forget;
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
  forwarder_hooks hooks;
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
