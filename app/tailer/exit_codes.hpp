#pragma once

// Exit codes of cursor_tailer (documented in docs/TAILER.md).

namespace cursor::tailer {

/// Stopped by SIGINT/SIGTERM; every peer ran and its last applied position
/// was recorded and flushed.
constexpr int exit_ok = 0;
/// Refused to start: configuration (unknown option or key, wrong type,
/// invalid value, stray argument, unusable metrics path or TLS files).
constexpr int exit_config = 1;
/// Refused to start: the embedded store's database cannot be opened or is
/// held by another process.
constexpr int exit_startup = 2;
/// Stopped, but a position could not be recorded, the final flush failed,
/// or a target could not be checked at the stop (the log says which), or an
/// actor terminated unexpectedly.
constexpr int exit_unclean = 3;
/// The shutdown took longer than `tailer.shutdown-timeout`: forced exit.
constexpr int exit_deadline = 4;
/// At least one peer stopped for good (a gap without tailer.allow-gaps, a
/// source or target behind the cursor, a hole in the target, a cursor moved
/// by someone else). When every peer stopped, the tailer ends by itself with
/// this code.
constexpr int exit_peer_failed = 5;
/// A second SIGINT/SIGTERM during shutdown exits at once with 128 + signal.
constexpr int exit_signal_base = 128;

} // namespace cursor::tailer
