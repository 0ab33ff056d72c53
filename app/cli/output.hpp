#pragma once

// What cursorctl prints on stdout: readable by default, JSON (nlohmann-json)
// or Prometheus on request. No CAF beyond the protocol's plain structs.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "cursor_actor/checkpoint_info.hpp"
#include "cursor_actor/cursor_entry.hpp"
#include "cursor_actor/stats.hpp"

namespace cursor::cli {

/// Unix milliseconds as ISO 8601 UTC ("2024-05-01T10:00:00.123Z"), or
/// "never" for 0.
std::string format_unix_ms(int64_t ms);

/// `get`: the stream ID or `none`; with json an object with `peer`, `found`
/// and, when found, `stream_id` and `durable`.
void print_lookup(std::ostream& out, const std::string& peer,
                  const cursor_lookup& x, bool json);

/// `list`: a table with PEER, STREAM_ID, UPDATED (UTC) and DURABLE columns
/// (header only when empty); with json an array of objects with `peer`,
/// `stream_id`, `updated_at` (Unix ms) and `durable`.
void print_list(std::ostream& out, const std::vector<cursor_entry>& xs,
                bool json);

/// `stats`: `name value` lines; with json one object; with prometheus the
/// text exposition format (`cursor::to_prometheus`).
void print_stats(std::ostream& out, const cursor_stats& x, bool json,
                 bool prometheus);

/// `checkpoint`: one line with the frame counts.
void print_checkpoint(std::ostream& out, const checkpoint_info& x);

/// `export`: one JSON object per cursor and line, fields as in
/// `list --json`.
void write_json_lines(std::ostream& out, const std::vector<cursor_entry>& xs);

/// `export --format csv`: the header `peer,stream_id,updated_at,durable`,
/// then one record per cursor and line (LF), quoted as RFC 4180 says: a
/// field with a comma, a quote or a leading or trailing blank is quoted,
/// quotes doubled. `header = false` writes the records alone (the next page
/// of an export).
void write_csv(std::ostream& out, const std::vector<cursor_entry>& xs,
               bool header = true);

/// One CSV field, quoted when needed (see write_csv).
std::string csv_field(const std::string& text);

} // namespace cursor::cli
