#pragma once

// Every failure the tailer reports, as a CAF error value of the category
// `tailer`. The context is one readable string (the peer, the address, the
// stream IDs, Redis's own message).

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace cursor::tailer {

/// Error codes of the category `tailer`.
enum class errc : uint8_t {
  /// Not an error.
  none = 0,
  /// A Redis server cannot be reached (connection refused, host unreachable,
  /// connect timeout). Retried with backoff.
  redis_unreachable,
  /// A connection to Redis broke or a reply did not arrive within the I/O
  /// timeout. The connection is dropped; retried with backoff.
  redis_io,
  /// Redis answered a command with an error (WRONGTYPE, OOM, READONLY, ...).
  /// Context: the command and Redis's message. Retried with backoff.
  redis_error,
  /// A reply did not have the shape the command promises. Retried.
  redis_protocol,
  /// Entries of a source stream after the tailer's position were deleted
  /// (trimmed or XDEL) before the tailer read them. Context: peer, position,
  /// the stream's highest deleted ID, its first entry. Stops the peer unless
  /// `tailer.allow-gaps` is set.
  gap,
  /// The source stream's last ID is below the tailer's position: the stream
  /// was recreated or its Redis lost data. Entries with IDs at or below the
  /// position would never be read. Stops the peer.
  source_behind,
  /// The target stream's last ID is below what the cursor says was applied:
  /// the target lost entries (deleted, or its Redis lost data). Stops the
  /// peer.
  target_behind,
  /// Within one pipelined batch an XADD failed and a later one reached the
  /// target: the target now misses an entry. Stops the peer.
  target_hole,
  /// A peer's last applied position could not be recorded before it
  /// stopped: the cursor store stayed unavailable (the link to a remote node
  /// itself reports `cursor::errc::unavailable` / `timeout`).
  store_unavailable,
  /// The source Redis does not report `max-deleted-entry-id` (Redis < 7.0),
  /// so gaps cannot be detected, or the target does not (it cannot be
  /// checked). Stops the peer unless `tailer.allow-gaps` (source only).
  no_gap_detection,
  /// The source stream is not the one the tailer's position came from:
  /// recreated, rolled back, its counters rewritten (or, after a restart,
  /// another writer wrote the target). Context: the evidence. Stops the peer
  /// unless `tailer.allow-gaps`.
  source_replaced,
  /// Every source entry up to the position is gone and exactly as many were
  /// removed as existed up to it: a trim that ended at the position, or a
  /// recreated stream; Redis cannot tell. Stops the peer unless
  /// `tailer.allow-gaps`.
  source_ambiguous,
  /// Entries were removed from the target stream (XDEL, XTRIM). Stops the
  /// peer.
  target_removed,
  /// Someone else wrote the target stream: entries or IDs beyond the
  /// tailer's, its counters rewritten (XSETID), another type. Stops the peer.
  target_foreign,
  /// An entry read again after a restart is missing from the target or
  /// differs from the target's entry with the same ID. Stops the peer.
  diverged,
  /// The last check of the target at the stop could not run (the target
  /// unreachable): the position is recorded, but the tailer cannot say that
  /// the target is as it left it. Exit code 3.
  target_unchecked,
};

/// Returns the enumerator's name, e.g. `"gap"`.
std::string to_string(errc code);

/// Renders an error of the `tailer` category as "name: context"; other
/// categories as app::describe() does (the store's `cursor` errors included).
std::string describe(const caf::error& err);

/// Returns whether `err` belongs to the `tailer` category and has `code`.
bool is(const caf::error& err, errc code);

/// Returns whether `err` stops a peer for good (a fault of the model in
/// docs/TAILER.md: a gap, a source or target not as the tailer left it, a
/// hole, no counters) rather than being retried.
bool stops_peer(const caf::error& err);

/// Announces the `tailer` error category to CAF, so that CAF's own rendering
/// of an error (e.g. an exit reason) is readable too.
void register_error_category(caf::actor_system_config& cfg);

} // namespace cursor::tailer

CAF_ERROR_CODE_ENUM(cursor::tailer::errc, "tailer")
