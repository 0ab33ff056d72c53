// cursorctl: reads and repairs the cursors of a running cursor_node. See
// docs/CLI.md.

#include <csignal>
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
#include "common/standard_streams.hpp"
#include "common/tls.hpp"

namespace {

// Every exit goes through here: what was written on stdout must have
// reached it (docs/CLI.md, "Exit codes"). A failed output turns success into
// exit_output with one line; a command that failed already keeps its code.
int checked_exit(int code) {
  auto error = cursor::app::finish_stdout();
  if (error.empty())
    return code;
  std::cerr << "cursorctl: " << error << '\n';
  return code == cursor::cli::exit_ok ? cursor::cli::exit_output : code;
}

// Leaves without destroying the actor system: after a timeout the middleman
// may still wait on a silent peer, and its shutdown must not stretch the
// promised deadline. cursorctl holds no state worth a clean teardown.
[[noreturn]] void leave_now(int code) {
  code = checked_exit(code);
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

int run(int argc, char** argv);

} // namespace

int main(int argc, char** argv) {
  // First: a closed stdout would otherwise become the first socket opened.
  if (cursor::app::prepare_standard_streams().out) {
    std::cerr << "cursorctl: stdout is closed; nothing was done\n";
    return cursor::cli::exit_output;
  }
  // A reader that stops early (`| head -1`) makes the write fail with EPIPE,
  // reported like any failed output, instead of a silent death by SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  return checked_exit(run(argc, argv));
}

namespace {

int run(int argc, char** argv) {
  using namespace cursor::cli;
  cli_args args;
  std::string tls_warning;
  cursor::app::tls_files caf_tls;
  auto parsed = parse_args(argc, argv, args);
  if (!parsed.error.empty()) {
    std::cerr << "cursorctl: " << parsed.error << " (see cursorctl --help)\n";
    return exit_refused;
  }
  if (!parsed.text.empty()) {
    std::cout << parsed.text;
    return exit_ok;
  }
  if (!args.tls_passphrase_file.empty()) {
    auto err = cursor::app::read_passphrase_file(args.tls_passphrase_file,
                                                 args.tls.passphrase);
    if (!err.empty()) {
      std::cerr << "cursorctl: --tls-passphrase-file '"
                << args.tls_passphrase_file << "' " << err << '\n';
      return exit_refused;
    }
  }
  if (args.tls.any()) {
    cursor::app::tls_option_names names{"--tls-cert", "--tls-key", "--tls-ca",
                                        "--tls-passphrase-file"};
    auto checked = cursor::app::check_tls_files(args.tls, names,
                                                cursor::app::tls_role::client);
    if (!checked.error.empty()) {
      std::cerr << "cursorctl: " << checked.error << '\n';
      return exit_refused;
    }
    tls_warning = std::move(checked.warning);
    caf_tls = std::move(checked.caf_files);
  }
  // Local inputs and outputs are checked before connecting: a bad one
  // costs no connection and changes nothing.
  command_runner runner;
  if (auto code = runner.prepare(args, std::cerr); code != exit_ok)
    return code;
  caf::actor_system_config cfg;
  make_client_config(cfg, cursor::app::app_identifier, caf_tls);
  caf::actor_system sys{cfg};
  std::string error;
  auto node = connect_to_node(sys, args.host, args.port, args.timeout, error);
  if (!node) {
    // A certificate the node will refuse is the likeliest cause then.
    if (!tls_warning.empty())
      error += " (note: " + tls_warning + ")";
    std::cerr << "cursorctl: " << error << '\n';
    runner.discard();
    leave_now(exit_unreachable);
  }
  auto code = runner.run(sys, *node, args, std::cout, std::cerr);
  if (code == exit_unreachable) {
    runner.discard();
    leave_now(code);
  }
  return code;
}

} // namespace
