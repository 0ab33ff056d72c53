#pragma once

// Tells systemd how the node is doing, for `Type=notify` units
// (config/systemd/cursor-node.service): READY=1 once the node listens,
// STOPPING=1 when its shutdown starts. Uses libsystemd's sd_notify(), which
// sends one datagram to the socket named by $NOTIFY_SOCKET. Outside systemd
// (no NOTIFY_SOCKET) both calls do nothing.

#include <string>

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::node {

/// Sends `READY=1` and `STATUS=<status>`. Call once, when the store is open
/// and the front is published: systemd then considers the unit started and
/// starts the units ordered after it. A datagram that cannot be sent is
/// logged as a warning on `log` (systemd will time the start out); it does
/// not stop the node.
void notify_ready(spdlog::logger& log, const std::string& status);

/// Sends `STOPPING=1` and `STATUS=<status>`, at the start of the shutdown,
/// so that `systemctl status` shows the unit as deactivating. Failures are
/// logged like notify_ready's.
void notify_stopping(spdlog::logger& log, const std::string& status);

} // namespace cursor::node
