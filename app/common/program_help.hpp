#pragma once

// `--help` and `--version` of the programs (cursor_node, cursor_tailer).
// CAF's own --help lists only its four global options and names
// `caf-application.ini`; a program's help lists the options an operator sets
// (its groups) with their types, and its default INI file. `--long-help`
// stays CAF's and lists every option, CAF's groups included.

#include <ostream>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

namespace cursor::app {

/// What a program's help says about it.
struct program_info {
  /// The executable's name, e.g. "cursor_node".
  std::string name;
  /// The INI file read by default from the working directory.
  std::string default_config_file;
  /// One paragraph: what the program does and where its documentation is.
  std::string summary;
  /// The option groups shown, in this order (e.g. cursor, node, tls).
  std::vector<std::string> groups;
  /// The example option of the usage line, e.g. "--node.port=4242".
  std::string example_option;
  /// The exit codes, one paragraph.
  std::string exit_codes;
};

/// If `argv` asks for help (`-h`, `-?`, `--help`) or the version
/// (`--version`), prints it on `out` and returns true; the program then
/// exits 0 without reading any configuration. `options` are the declared
/// options (the program's actor_system_config's custom options).
bool print_help_or_version(int argc, char** argv, const program_info& info,
                           const caf::config_option_set& options,
                           std::ostream& out);

} // namespace cursor::app
