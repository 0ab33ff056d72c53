#pragma once

// The node's life after configuration: open the store, publish the front,
// serve until a signal, shut down within the deadline.

#include <memory>

#include <caf/fwd.hpp>

#include "common/signal_hub.hpp"
#include "node/node_config.hpp"

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::node {

/// Runs the node on `sys` and returns its exit code (see exit_codes.hpp):
/// 1. opens the store (blocking, at most `cursor.open-timeout`);
/// 2. publishes a front actor on `node.bind-address:node.port`, logs the real
///    address, the database and the number of cursors restored;
/// 3. serves: republishes a fresh front on the same port whenever the front
///    dies, rewrites the metrics file every `node.metrics-interval`;
/// 4. on the first signal from `signals`: closes the port, kills the front,
///    closes the store (final flush + TRUNCATE checkpoint), stops it.
/// Every actor it spawned is terminated when it returns, so the caller can
/// destroy `sys` without hanging. The caller enforces the shutdown deadline
/// as a whole (see watchdog.hpp); the waits in here are bounded by it too.
int run_service(caf::actor_system& sys, const node_options& opts,
                const std::shared_ptr<spdlog::logger>& log,
                app::signal_hub& signals);

} // namespace cursor::node
