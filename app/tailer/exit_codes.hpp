#pragma once

// The tailer's own exit code, beyond the ones every hosted program shares
// (common/exit_codes.hpp). Documented in docs/TAILER.md.

#include "common/exit_codes.hpp"

namespace cursor::tailer {

/// At least one peer stopped for good (a gap without tailer.allow-gaps, a
/// source or target behind the cursor, a hole in the target, a cursor moved
/// by someone else) and nothing else failed. When every peer stopped, the
/// tailer ends by itself with this code.
constexpr int exit_peer_failed = app::exit_program_first;

} // namespace cursor::tailer
