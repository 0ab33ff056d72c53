#pragma once

// The descriptor limit (RLIMIT_NOFILE) of the node and the tailer.

#include <cstdint>
#include <string>

namespace cursor::app {

/// Raises the soft descriptor limit to the hard limit (capped by
/// /proc/sys/fs/nr_open), as every connection and every SQLite file needs a
/// descriptor. Returns a line for the log when the limit changed or could
/// not be changed, else an empty string. Call it before other threads
/// start.
std::string raise_descriptor_limit();

/// The current soft descriptor limit.
uint64_t descriptor_limit();

} // namespace cursor::app
