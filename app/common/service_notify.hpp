#pragma once

// Tells systemd how a program is doing, for `Type=notify` units
// (config/systemd/cursor-node.service, cursor-tailer.service): READY=1 once
// it serves (the node listens; the tailer's peers run), STOPPING=1 when its
// shutdown starts. Uses libsystemd's sd_notify(), which
// sends one datagram to the socket named by $NOTIFY_SOCKET. Outside systemd
// (no NOTIFY_SOCKET) both calls do nothing.

#include <string>

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::app {

/// Sends `READY=1` and `STATUS=<status>`. Call once, when the program
/// serves (the node: store open, front published): systemd then considers the
/// unit started and starts the units ordered after it. A datagram that cannot
/// be sent is logged as a warning on `log` (systemd will time the start out);
/// it does not stop the node.
void notify_ready(spdlog::logger& log, const std::string& status);

/// Sends `STOPPING=1` and `STATUS=<status>`, at the start of the shutdown,
/// so that `systemctl status` shows the unit as deactivating. Failures are
/// logged like notify_ready's.
void notify_stopping(spdlog::logger& log, const std::string& status);

} // namespace cursor::app
