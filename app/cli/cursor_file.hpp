#pragma once

// Reading a file of cursors, as `cursorctl export` writes it, for the
// coming `cursorctl import FILE`: JSON lines or CSV. The whole file is read
// and every entry checked before anything is sent, and the first bad line
// is named, so that a bad file changes nothing.

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace cursor::cli {

/// One cursor of the file.
struct file_entry {
  std::string peer;
  std::string stream_id;
  /// 1-based line number in the file.
  size_t line = 0;
};

/// The outcome of read_cursor_file().
struct file_contents {
  /// In file order; empty when `error` is set.
  std::vector<file_entry> entries;
  /// Empty on success; otherwise `line N: reason` for the first bad line
  /// (`line N` is omitted for errors of the file as a whole).
  std::string error;
};

/// The longest line read (a cursor takes well under 400 bytes).
constexpr size_t max_line_size = 64 * 1024;

/// Reads JSON lines: one object per line with the strings `peer` and
/// `stream_id` and, optionally, `updated_at` (an integer) and `durable` (a
/// boolean), which are ignored; any other field is refused (a misspelt
/// `stream-id` must not pass unnoticed). Blank lines are skipped.
file_contents read_json_lines(std::istream& in);

/// Reads CSV: a header naming the columns (`peer` and `stream_id` required,
/// `updated_at` and `durable` allowed, in any order), then one record per
/// line with as many fields as the header; RFC 4180 quoting; CRLF or LF;
/// a UTF-8 byte order mark is skipped. Blank lines are skipped.
file_contents read_csv(std::istream& in);

/// Checks the entries as the store would (peer ID and stream ID syntax) and
/// refuses a peer that appears twice, naming both lines. Returns an empty
/// string or `line N: reason`. Both readers call it.
std::string check_entries(const std::vector<file_entry>& xs);

} // namespace cursor::cli
