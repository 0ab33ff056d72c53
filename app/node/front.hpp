#pragma once

// The front actor: the only actor the node publishes.

#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "cursor_actor/actors.hpp"

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::node {

/// Spawns a front for `store`: a store forwarder (common/store_forwarder.hpp)
/// configured for a published actor. It forwards every message of
/// `cursor_actor` to the store through a response promise, waiting at most
/// `timeout`, with the forwarder's one error mapping (a store that does not
/// answer in time: errc::timeout; a store gone: errc::unavailable; the
/// store's own errors unchanged):
/// - the store sees the front as the sender, so no remote peer ever learns
///   the store's (or the writer's) handle and no reply carries one;
/// - the front is not linked to the store: a peer that kills the front (any
///   peer can send `exit_reason::kill` to a published actor) kills only the
///   front, and the node publishes a fresh one. It monitors the store, so
///   requests waiting on a store that terminates fail at once;
/// - anything outside `cursor_actor`, the store's internal messages
///   included, is refused with `sec::unexpected_message` naming the public
///   interface;
/// - `close` is refused the same way, with a line saying why: stopping the
///   store is the host's job (the node's shutdown), not a client's;
/// - exit messages other than `kill`, stray errors and down messages that
///   are not the store's own are ignored;
/// - `backup` takes a file NAME, never a path: the front refuses any name
///   validate_backup_name() refuses (`/`, `..`, a leading `.`, ...) with
///   `errc::invalid_backup_name`, answers `errc::backups_disabled` when
///   `backup_dir` is empty, and otherwise forwards `backup_dir/NAME` to the
///   store (which creates it exclusively). A client can thus write only new
///   files directly inside `backup_dir`.
/// `log` receives one line per refused or ignored message at debug level.
cursor_actor spawn_front(caf::actor_system& sys, cursor_actor store,
                         caf::timespan timeout,
                         std::shared_ptr<spdlog::logger> log,
                         std::string backup_dir = {});

} // namespace cursor::node
