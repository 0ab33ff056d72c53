#include "cli/commands.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "common/describe.hpp"

namespace cursor::cli {

namespace {

// One request, one answer: `on_value` prints the reply; errors become one
// line and an exit code.
template <class OnValue, class... Ts>
int ask(caf::actor_system& sys, const cursor_actor& node, const cli_args& args,
        std::ostream& err, OnValue on_value, Ts&&... xs) {
  int code = exit_ok;
  caf::scoped_actor self{sys};
  self->request(node, args.timeout, std::forward<Ts>(xs)...)
      .receive(on_value, [&](caf::error& e) {
        code = exit_code_for(e);
        if (e == caf::sec::request_timeout)
          err << "cursorctl: " << args.command << ": no answer from the node "
              << "within " << format_timeout(args.timeout) << '\n';
        else
          err << "cursorctl: " << args.command << ": " << app::describe(e)
              << '\n';
      });
  return code;
}

} // namespace

int run_command(caf::actor_system& sys, const cursor_actor& node,
                const cli_args& args, std::ostream& out, std::ostream& err) {
  const auto& cmd = args.command;
  const auto& ops = args.operands;
  if (cmd == "get")
    return ask(
        sys, node, args, err,
        [&](const cursor_lookup& x) {
          print_lookup(out, ops[0], x, args.json);
        },
        get_atom_v, ops[0]);
  if (cmd == "set") {
    auto done = [&](ok_atom) { out << "ok\n"; };
    if (args.force)
      return ask(sys, node, args, err, done, set_atom_v, force_atom_v, ops[0],
                 ops[1]);
    return ask(sys, node, args, err, done, set_atom_v, ops[0], ops[1]);
  }
  if (cmd == "delete")
    return ask(
        sys, node, args, err,
        [&](bool existed) {
          if (existed)
            out << "deleted\n";
          else
            out << "no cursor for this peer; nothing deleted\n";
        },
        delete_atom_v, ops[0]);
  if (cmd == "list")
    return ask(
        sys, node, args, err,
        [&](const std::vector<cursor_entry>& xs) {
          print_list(out, xs, args.json);
        },
        list_atom_v);
  if (cmd == "flush")
    return ask(
        sys, node, args, err,
        [&](uint64_t rows) { out << "flushed " << rows << " rows\n"; },
        flush_atom_v);
  if (cmd == "checkpoint")
    return ask(
        sys, node, args, err,
        [&](const checkpoint_info& x) { print_checkpoint(out, x); },
        checkpoint_atom_v);
  if (cmd == "stats")
    return ask(
        sys, node, args, err,
        [&](const cursor_stats& x) {
          print_stats(out, x, args.json, args.prometheus);
        },
        stats_atom_v);
  err << "cursorctl: unknown command '" << cmd << "'\n";
  return exit_refused;
}

} // namespace cursor::cli
