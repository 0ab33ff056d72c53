#pragma once

// What an import would change, compared with the node's cursors (the
// answer to `list`): the --dry-run report of the coming `cursorctl import`,
// and the check that a regression needs --force.

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "cli/cursor_file.hpp"
#include "cursor_actor/cursor_entry.hpp"

namespace cursor::cli {

/// How one entry of the file relates to the node's cursor.
enum class change {
  /// The node has no cursor for the peer.
  added,
  /// The file's stream ID is greater than the node's.
  advanced,
  /// The file's stream ID is lower: a regression, refused without --force.
  moved_back,
  /// Same position (also `0` against `0-0`).
  unchanged,
};

/// One entry of the file with the node's current value.
struct planned_change {
  file_entry entry;
  change kind = change::unchanged;
  /// The node's stream ID; empty for `added`.
  std::string current;
};

struct import_plan {
  /// In file order.
  std::vector<planned_change> changes;
  size_t added = 0;
  size_t advanced = 0;
  size_t moved_back = 0;
  size_t unchanged = 0;
};

/// Compares every entry (already checked by read_json_lines/read_csv) with
/// `current`.
import_plan make_plan(const std::vector<file_entry>& entries,
                      const std::vector<cursor_entry>& current);

/// One line per entry that changes something (`new`, `advance`, `BACK`,
/// with the current and the new value), then the summary line
/// `N new, N advanced, N moved back, N unchanged`.
void print_plan(std::ostream& out, const import_plan& plan);

} // namespace cursor::cli
