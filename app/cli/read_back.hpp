#pragma once

// What became of a chunk whose answer was lost: cursorctl import and rewind
// read the chunk's peers back and classify each (docs/CLI.md, "When a chunk
// fails").
//
// A chunk answered by an error is either
// (a) refused for certain: the store answered an error of its own
//     (`conflict`, `regression`, `invalid_stream_id`, `closed`, ...) or the
//     node refused the message (`unexpected_message`); a batched set is one
//     message, applied whole or not at all, so nothing of it was applied;
// (b) ambiguous: no answer within --timeout, `timeout` or `unavailable` from
//     the node's front, the connection lost, an answer cursorctl cannot read.
//     The node may have applied the chunk, may still apply it (it sits in a
//     stopped node's socket or mailbox), or never will.
//
// For (b) each peer is read back with `get`, and is
// - applied: the cursor holds the planned stream ID;
// - not applied: the cursor holds the value the set was planned from (or is
//   still absent), and the read went through the connection the chunk went
//   through, so the chunk was processed before the read and can no longer
//   apply (the ordering argument: read_back.cpp);
// - unknown: nothing could be read, the value is neither (another client
//   changed the peer after the plan: our set may have applied before that
//   change or been refused because of it), or the read went through a new
//   connection (the old one was lost: the chunk may still be in flight on
//   it, so only a read of the planned value proves anything).
//
// Limit: a conditional set applied and then undone by another client (set
// back to exactly the planned-from value, or a new peer deleted again)
// between the chunk and the read looks like "not applied"; no read can tell
// these apart.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "cursor_actor/actors.hpp"
#include "cursor_actor/cursor_entry.hpp"

namespace cursor::cli {

/// What a read-back says about one entry of a chunk.
enum class read_state {
  applied,
  not_applied,
  unknown,
};

/// "applied", "not applied", "unknown".
const char* to_string(read_state x);

/// One entry of a chunk whose answer was lost, and what became of it.
struct read_back_entry {
  size_t line = 0;
  std::string peer;
  /// The planned-from value ("" for no cursor) and the planned stream ID.
  std::string from;
  std::string target;
  read_state state = read_state::unknown;
  /// Whether a value was read; `read` holds it (a stream ID or "no
  /// cursor"), or else why nothing was read.
  bool was_read = false;
  std::string read;
  /// Whether the read went through the chunk's own connection.
  bool ordered = false;
};

/// Whether a chunk answered with `err` may have been applied (case (b)
/// above); false for a refusal that applied nothing (case (a)).
bool may_have_applied(const caf::error& err);

/// Classifies one entry from the value read: `ordered` says whether the
/// read went through the chunk's own connection, after the chunk.
read_state classify(const std::string& from, const std::string& target,
                    const cursor_lookup& found, bool ordered);

/// Opens a new connection to the node (nothing when it cannot).
using reconnect_fn = std::function<std::optional<cursor_actor>()>;

/// Reads back every entry of `entries` (their `line`, `peer`, `from` and
/// `target` set) with `get`, sent by `self` to `node`, the actor and handle
/// the chunk went through; the whole read-back waits at most `timeout`.
/// When the connection turns out lost (a get bounces: the node's proxy is
/// gone), the rest is read through `reconnect` (if set), unordered. An entry
/// not read (no answer in time, an error) stays unknown, with the reason in
/// `read`. Fills `state`, `was_read`, `read` and `ordered`. A new connection
/// may take up to its own connect timeout beyond `timeout`.
void read_back(caf::scoped_actor& self, const cursor_actor& node,
               std::chrono::milliseconds timeout,
               std::vector<read_back_entry>& entries,
               const reconnect_fn& reconnect);

} // namespace cursor::cli
