#pragma once

// The durations cursorctl reads: `--timeout` (a request bound) and
// `--older-than` (an age). Plain functions, no CAF, no CLI11.

#include <chrono>
#include <string>

namespace cursor::cli {

/// Parses a timeout such as `5s`, `500ms`, `1m` or `3` (seconds): 1 ms to 1 h.
/// Returns false for anything else.
bool parse_timeout(const std::string& text, std::chrono::milliseconds& out);

/// Renders a timeout the way parse_timeout reads it ("5s", "250ms").
std::string format_timeout(std::chrono::milliseconds x);

/// Parses an age such as `90s`, `30m`, `12h`, `7d` or `2w`: a decimal number
/// and a unit (`ms`, `s`, `m`/`min`, `h`, `d`, `w`; required, since a bare
/// number is ambiguous here), 1 ms to 100 years. Returns false for anything
/// else.
bool parse_age(const std::string& text, std::chrono::milliseconds& out);

} // namespace cursor::cli
