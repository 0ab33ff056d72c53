#pragma once

// `cursorctl health`: the store's state in one line and an exit code a
// probe can use (docs/CLI.md, "health").

#include <ostream>
#include <string>

#include "cursor_actor/stats.hpp"

namespace cursor::cli {

/// Prints the health derived from `x` (one line; with json one object) and
/// returns the exit code: exit_closed when the store is closed (writes
/// refused), else exit_degraded when its last write failed after every
/// retry, else exit_ok.
int print_health(std::ostream& out, const cursor_stats& x, bool json);

/// For a node that answered `stats` with an error saying its store is not
/// serving (`stopped`, `closed`, `unavailable`: gone, `timeout`: no answer
/// to the front in time): prints a `closed` line (or object) naming
/// `reason` and returns exit_closed.
int print_not_serving(std::ostream& out, const std::string& reason, bool json);

} // namespace cursor::cli
