#pragma once

// The lifecycle of the cursor actor: one state instead of flags, and every
// transition it may take listed in one place (`lifecycle_transition`).
//
//   open ──close──> closing ──writer closed──> closed
//     ^                │
//     └─final flush────┘ (failed: the store stays open, nothing is dropped)
//
//   open | closing | closed ──exit message──> stopping ──> the actor quits
//
// `closing` and `stopping` run the same shutdown sequence (final flush, then
// close the writer); an exit message during `closing` joins the running
// sequence and quits when it ends, instead of starting a second one.

#include <caf/error.hpp>

namespace cursor {

enum class lifecycle {
  /// Reads and writes are served.
  open,
  /// `close` runs its final flush and closes the writer; writes are refused.
  closing,
  /// The writer is closed; writes are refused, reads still served.
  closed,
  /// An exit message arrived: final flush, writer close, then quit; writes
  /// are refused.
  stopping,
};

/// Whether the actor may go from `from` to `to`.
bool lifecycle_transition(lifecycle from, lifecycle to);

/// The state's name for log lines.
const char* to_string(lifecycle x);

/// Whether `set` and `delete` are refused in state `x`.
inline bool refuses_writes(lifecycle x) {
  return x != lifecycle::open;
}

/// The `closed` error a refused request gets in state `x`.
caf::error closed_error(lifecycle x);

} // namespace cursor
