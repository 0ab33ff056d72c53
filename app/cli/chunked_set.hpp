#pragma once

// Applying many cursor changes through the store's batched set, in chunks:
// the shared path of `cursorctl import` and `cursorctl rewind`.
//
// Each chunk is one conditional batched set (the forced one with `force`):
// every entry carries the state it was planned from (the value read, or ""
// for no cursor), and the store applies the chunk all or nothing. An entry
// whose peer changed since it was read (deleted, moved, created) is refused
// with `conflict`: it is never applied, is reported with the store's
// message, and the chunk is sent again without it (its other entries are
// still conditional), so a peer deleted meanwhile is never brought back and
// a newer value never overwritten. Chunks go one after the other, each after
// the previous one was answered; any other refusal or failure stops the
// run. Chunks answered before it stay applied (in the store's memory,
// committed by its next flush like any set): a failure in chunk k leaves
// chunks 1..k-1 applied and k+1.. unsent. Chunk k itself applied nothing
// when the store refused it; when its answer was lost (no answer in time, a
// lost connection: read_back.hpp) its peers are read back and each is
// reported applied, not applied or unknown. Re-running the same input is
// safe: applied entries are then unchanged and skipped.

#include <chrono>
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/fwd.hpp>

#include "cli/cursor_file.hpp"
#include "cli/import_plan.hpp"
#include "cli/read_back.hpp"
#include "cursor_actor/actors.hpp"

namespace cursor::cli {

/// An entry refused because its peer changed between the plan and the set.
struct conflict_note {
  size_t line = 0;
  std::string peer;
  /// The store's error, rendered (`conflict: cursor of 'p': expected ...`).
  std::string message;
};

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
  /// The entries refused with `conflict` (not applied), in order.
  std::vector<conflict_note> conflicts;
  /// Whether the failed chunk may have been applied (may_have_applied()):
  /// then `read_back` holds each entry of its last attempt, read back.
  bool ambiguous = false;
  std::vector<read_back_entry> read_back;

  /// The entries of `read_back` in state `x`.
  size_t read_back_count(read_state x) const;
};

struct chunk_options {
  /// How long each chunk's answer is awaited.
  std::chrono::milliseconds timeout{5000};
  /// How long the read-back of a chunk whose answer was lost may take, all
  /// its gets together.
  std::chrono::milliseconds read_back_timeout{5000};
  /// Forced conditional sets: regressions allowed.
  bool force = false;
  /// Entries per chunk (>= 1).
  size_t chunk_size = 1000;
  /// A terminal: rewrites one line `LABEL: K of N chunks, X of Y entries`
  /// after each chunk, ends it with a newline.
  std::ostream* progress = nullptr;
  std::string label;
  /// Called when the failed chunk turned out ambiguous, before its peers are
  /// read back (the outcome's failed_* fields are set).
  std::function<void(const chunked_outcome&)> on_read_back;
  /// A new connection for the read-back when the chunk's was lost; none
  /// leaves the peers unknown.
  reconnect_fn reconnect;
};

/// Sets every `changes[k].entry` from `changes[k].current` ("" for no
/// cursor) in chunks, as `opts` says; reads a chunk whose answer was lost
/// back through the same actor and handle.
chunked_outcome set_in_chunks(caf::actor_system& sys, const cursor_actor& node,
                              const std::vector<planned_change>& changes,
                              const chunk_options& opts);

/// The entry index a batched set's error names ("batch entry K of N"), or
/// -1 when it names none.
long refused_index(const caf::error& err);

} // namespace cursor::cli
