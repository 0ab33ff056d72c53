#pragma once

// The checks CAF's config system does not do, shared by the node and the
// tailer: CAF 0.17 keeps unknown INI keys silently and drops a value of the
// wrong type silently (the default stays).

#include <string>

#include <caf/fwd.hpp>

namespace cursor::app {

/// One readable line for an error of actor_system_config::parse(): an
/// unknown or malformed command-line option, an INI syntax error with line
/// and column, an unreadable `config_file`.
std::string render_parse_error(const caf::error& err,
                               const std::string& config_file);

/// Re-reads the INI file at `path` without type checks and compares every
/// entry with the declared `options`. Returns an empty string, or one line
/// naming the first key or section given twice (see find_duplicate_key()),
/// the first unknown key or the first value of the wrong type or out of
/// range.
std::string check_config_file(const caf::config_option_set& options,
                              const std::string& path);

} // namespace cursor::app
