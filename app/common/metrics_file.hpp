#pragma once

// Writing the Prometheus textfile that node_exporter's textfile collector
// reads: atomically, so the collector never sees half a file.

#include <string>

namespace cursor::app {

/// Writes `content` to `path`: first to a new file `.<name>.XXXXXX` with an
/// unpredictable suffix in the same directory, created exclusively (never
/// through a planted link; the collector ignores names not ending in
/// `.prom`), flushed to disk, then renamed over `path` (a link at `path` is
/// replaced, never written through). Returns an empty string on success,
/// otherwise one readable line; the temporary file is removed on failure.
std::string write_file_atomically(const std::string& path,
                                  const std::string& content);

/// Checks at start-up that the directory of `path` exists and is writable,
/// so that a typo fails at once instead of every few seconds. Returns an
/// empty string or one readable line.
std::string check_writable_location(const std::string& path);

} // namespace cursor::app
