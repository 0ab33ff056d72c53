#pragma once

// The standard streams of the programs (cursor_node, cursor_tailer,
// cursorctl): what they write on stdout reaches it or the program exits
// non-zero with one line on stderr (docs/CLI.md, "Exit codes and errors";
// docs/NODE.md, "Refusing to start").

#include <ostream>
#include <string>

namespace cursor::app {

/// Which of the descriptors 0, 1, 2 were closed when the program started.
struct closed_streams {
  bool in = false;
  bool out = false;
  bool err = false;
};

/// Call first in main(), before anything opens a descriptor or writes to
/// std::cout.
///
/// - A descriptor 0, 1 or 2 that is closed (`>&-`) is taken by `/dev/null`
///   opened so that it fails every use: 0 write-only (reads fail), 1 and 2
///   read-only (writes fail with EBADF). Otherwise the first file the
///   program opens (a socket, the lock file, the database) would become its
///   stdout or stderr and receive its output or its log.
/// - std::cout gets a buffer that writes to descriptor 1 with write(2) and
///   keeps the errno of the first failed write (stdio keeps only a flag).
///   After a failure std::cout is bad and accepts nothing more.
///
/// Returns which descriptors were closed.
closed_streams prepare_standard_streams();

/// Flushes `out` and returns whether everything written to it so far was
/// accepted. A program that writes in parts (export, page by page) calls it
/// after each part and stops at the first failure.
bool flush_checked(std::ostream& out);

/// Call once at the end, after the last output to std::cout. Checks every
/// way the output can have failed: a failed write or flush (ENOSPC on a
/// full file system or `/dev/full`, EPIPE from a reader that stopped, EBADF
/// for a closed stdout), anything written through C's `stdout` (flushed and
/// its error flag read), and a failed close (a file system that reports
/// write errors only at close: the descriptor is duplicated and the copy
/// closed, so stdout stays usable until the exit). Returns an empty string,
/// or one line: "cannot write to stdout: <reason>".
std::string finish_stdout();

} // namespace cursor::app
