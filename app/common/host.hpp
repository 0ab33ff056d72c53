#pragma once

// The process host: the main() of every hosted program (cursor_node,
// cursor_tailer). A program's main is
//
//   int main(int argc, char** argv) {
//     cursor::node::node_program prog;
//     return cursor::app::run_host(prog, argc, argv);
//   }
//
// and the program (program.hpp) provides its options and its actors. See
// docs/ARCHITECTURE.md, "One process host".

namespace cursor::app {

class program;

/// Runs `prog` as a process and returns its exit code (exit_codes.hpp):
/// 1. blocks the signals in every thread to come (signals.hpp) and raises
///    the descriptor limit;
/// 2. reads the configuration (host_config.hpp); help and version exit 0,
///    a refusal is one line on stderr (`<name>: error: ...`) and exit 1;
/// 3. checks the files it will write: the metrics file's directory, and
///    that the database (with its -wal, -shm, -journal), the lock file and
///    the metrics file are distinct files (file_guard.hpp);
/// 4. with an embedded store: creates the database's directory if missing,
///    takes the lock file and the lock on the database file (exit 2 when
///    another store holds them), and notes whether the database is new;
/// 5. sets up the log, lets the program prepare (program::prepare), logs
///    the TLS set-up, starts the signal watcher (the first shutdown signal
///    starts the shutdown and arms the watchdog; a second one exits at once
///    with 128 + its number);
/// 6. runs the program in an actor system (host_service.hpp); arms the
///    watchdog (`<group>.shutdown-timeout` + 1 s) also when the run ended
///    without a signal, so the actor system's destructor cannot hang;
/// 7. releases the locks after the store closed the database and logs
///    `stopped (exit code N)`.
int run_host(program& prog, int argc, char** argv);

} // namespace cursor::app
