#pragma once

// Keys and sections given twice in an INI file. CAF 0.17 merges a repeated
// section and lets the first value of a repeated key win, silently; an
// operator who appends a corrected line at the end of the file would run
// with the old value.

#include <string>

namespace cursor::app {

/// Scans the INI text `text` (CAF's syntax: `[section]` or
/// `[section.sub]`, `key = value`, values that are lists `[...]` or maps
/// `{...}` over several lines, `"strings"` and `'atoms'`, `;` comments) and
/// returns one line naming the first key or section that appears twice,
/// with both line numbers, or an empty string. Keys of nested maps are
/// checked too. `file` names the file in the message.
std::string find_duplicate_key(const std::string& text,
                               const std::string& file);

} // namespace cursor::app
