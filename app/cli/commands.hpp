#pragma once

// The commands of cursorctl, each one request to the node's front actor.

#include <ostream>

#include <caf/fwd.hpp>

#include "cli/args.hpp"
#include "cursor_actor/actors.hpp"

namespace cursor::cli {

/// Runs `args.command` against `node`, waiting at most `args.timeout` for
/// the answer. Prints the result on `out`, or one line on `err` (prefixed
/// `cursorctl: `), and returns the exit code (see exit_codes.hpp).
int run_command(caf::actor_system& sys, const cursor_actor& node,
                const cli_args& args, std::ostream& out, std::ostream& err);

} // namespace cursor::cli
