#pragma once

// The commands of cursorctl. Each command is a local preparation (checks and
// files that need no node, done before connecting, so a bad input changes
// nothing and costs no connection) and one or more requests to the node's
// front actor.

#include <memory>
#include <ostream>
#include <vector>

#include <caf/fwd.hpp>

#include "cli/args.hpp"
#include "cli/cursor_file.hpp"
#include "cursor_actor/actors.hpp"

namespace cursor::cli {

class output_file;

class command_runner {
public:
  command_runner();
  ~command_runner();

  /// Does what `args.command` needs before connecting (export: prepares its
  /// output file; import: reads and checks the whole file; rewind: checks
  /// --to and reads the peers file; backup: checks the name). Returns exit_ok,
  /// or prints one line on `err` (prefixed `cursorctl: `) and returns the exit
  /// code.
  int prepare(const cli_args& args, std::ostream& err);

  /// Runs `args.command` against `node`, waiting at most `args.timeout` for
  /// each answer. Prints the result on `out`, or one line on `err`, and
  /// returns the exit code (see exit_codes.hpp).
  int run(caf::actor_system& sys, const cursor_actor& node,
          const cli_args& args, std::ostream& out, std::ostream& err);

  /// Undoes prepare(): removes export's temporary file. For exits that
  /// skip destructors (cursorctl leaves with _Exit after a timeout).
  void discard();

private:
  std::unique_ptr<output_file> output_;
  /// import: the file's entries; rewind: the listed peers (stream ID empty).
  std::vector<file_entry> entries_;
};

} // namespace cursor::cli
