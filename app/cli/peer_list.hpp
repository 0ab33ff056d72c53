#pragma once

// The list of peers `cursorctl rewind --peers-file FILE` moves: one peer ID
// per line. Read and checked whole before anything is sent.

#include <istream>
#include <string>
#include <vector>

#include "cli/cursor_file.hpp"

namespace cursor::cli {

/// The outcome of read_peer_list().
struct peer_list {
  /// In file order, with 1-based line numbers; `stream_id` is empty.
  std::vector<file_entry> peers;
  /// Empty on success; otherwise `line N: reason` for the first bad line
  /// (an invalid peer ID, a peer listed twice, a line too long), or the
  /// reason for the whole file (`no peers`).
  std::string error;
};

/// Reads one peer ID per line: LF or CRLF, the line taken exactly (blanks
/// are part of a peer ID), empty lines skipped, at most max_line_size bytes
/// a line. A list without any peer is an error.
peer_list read_peer_list(std::istream& in);

} // namespace cursor::cli
