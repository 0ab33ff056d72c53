#pragma once

// Applying many cursor changes through the store's batched set, in chunks:
// the shared path of `cursorctl import` and `cursorctl rewind`.
//
// Each chunk is one batched set (the forced one with `force`): the store
// applies it all or nothing. Chunks go one after the other, each after the
// previous one was answered; the first refused or failed chunk stops the
// run. Chunks answered before it stay applied (in the store's memory,
// committed by its next flush like any set): a failure in chunk k leaves
// chunks 1..k-1 applied and k.. untouched. Re-running the same input is
// safe: applied entries are then unchanged and skipped.

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/fwd.hpp>

#include "cli/cursor_file.hpp"
#include "cursor_actor/actors.hpp"

namespace cursor::cli {

struct chunked_outcome {
  /// Empty when every chunk was applied; otherwise the store's (or the
  /// connection's) error for chunk `failed_chunk`.
  caf::error error;
  size_t chunks = 0;
  size_t applied_chunks = 0;
  size_t applied_entries = 0;
  /// 1-based; 0 when nothing failed.
  size_t failed_chunk = 0;
  /// The file lines of the failed chunk's first and last entry, and of the
  /// entry the store refused (0 when the error names no entry).
  size_t failed_first_line = 0;
  size_t failed_last_line = 0;
  size_t refused_line = 0;
};

/// Sends `entries` in chunks of `chunk_size` (>= 1), waiting at most
/// `timeout` for each answer. With `progress` set (a terminal), rewrites one
/// line `LABEL: K of N chunks, X of Y entries` after each chunk and ends it
/// with a newline.
chunked_outcome set_in_chunks(caf::actor_system& sys, const cursor_actor& node,
                              std::chrono::milliseconds timeout,
                              const std::vector<file_entry>& entries,
                              bool force, size_t chunk_size,
                              std::ostream* progress, const std::string& label);

/// The entry index a batched set's error names ("batch entry K of N"), or
/// -1 when it names none.
long refused_index(const caf::error& err);

} // namespace cursor::cli
