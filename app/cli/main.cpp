// cursorctl: reads and repairs the cursors of a running cursor_node. See
// docs/CLI.md.

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/connect.hpp"
#include "cli/exit_codes.hpp"
#include "common/defaults.hpp"

namespace {

// Leaves without destroying the actor system: after a timeout the middleman
// may still wait on a silent peer, and its shutdown must not stretch the
// promised deadline. cursorctl holds no state worth a clean teardown.
[[noreturn]] void leave_now(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

} // namespace

int main(int argc, char** argv) {
  using namespace cursor::cli;
  cli_args args;
  if (auto err = parse_args(argc, argv, args); !err.empty()) {
    std::cerr << "cursorctl: " << err << " (see cursorctl --help)\n";
    return exit_refused;
  }
  if (args.help) {
    std::cout << usage();
    return exit_ok;
  }
  caf::actor_system_config cfg;
  make_client_config(cfg, cursor::app::app_identifier);
  caf::actor_system sys{cfg};
  std::string error;
  auto node = connect_to_node(sys, args.host, args.port, args.timeout, error);
  if (!node) {
    std::cerr << "cursorctl: " << error << '\n';
    leave_now(exit_unreachable);
  }
  auto code = run_command(sys, *node, args, std::cout, std::cerr);
  if (code == exit_unreachable)
    leave_now(code);
  return code;
}
