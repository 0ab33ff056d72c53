#pragma once

// Exit codes of cursor_node (documented in docs/NODE.md).

namespace cursor::node {

/// Stopped by SIGINT/SIGTERM; every change was persisted.
constexpr int exit_ok = 0;
/// Refused to start: unknown option or key, value of the wrong type or out of
/// range, stray argument. Nothing was opened.
constexpr int exit_config = 1;
/// Refused to start: the database cannot be opened, is not ours, or is held by
/// another node; the port cannot be bound; the metrics file cannot be written.
constexpr int exit_startup = 2;
/// Stopped, but the final flush or close failed (the log lists what was not
/// persisted), or the store terminated unexpectedly.
constexpr int exit_unclean = 3;
/// The shutdown took longer than `node.shutdown-timeout`: forced exit.
constexpr int exit_deadline = 4;
/// A second SIGINT/SIGTERM during shutdown exits at once with 128 + signal
/// number (130 for SIGINT, 143 for SIGTERM), as a shell reports a death by
/// that signal.
constexpr int exit_signal_base = 128;

} // namespace cursor::node
