#pragma once

// `cursor_node --help` and `--version`. CAF's own --help lists only its four
// global options; the node's help lists the options an operator sets
// (`cursor.*`, `node.*`, `tls.*`) with their defaults. `--long-help` stays
// CAF's and lists every option, CAF's groups included.

#include <ostream>

#include <caf/fwd.hpp>

namespace cursor::node {

/// If `argv` asks for help (`-h`, `-?`, `--help`) or the version
/// (`--version`), prints it on `out` and returns true; the node then exits
/// 0 without reading any configuration. `options` are the declared options
/// (node_config's).
bool print_help_or_version(int argc, char** argv,
                           const caf::config_option_set& options,
                           std::ostream& out);

} // namespace cursor::node
