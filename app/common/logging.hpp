#pragma once

// The log of the node and the tailer: one stderr sink shared by the
// program's logger ("node", "tailer") and the library's ("cursor"), so both
// speak in one format and at one level.

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace cursor::app {

/// Creates and registers the `component` and `cursor` loggers at `level`
/// (one of trace, debug, info, warn, error, critical, off; validated by the
/// config). Call it before the store is spawned: the library adopts a logger
/// named `cursor` registered before its first log line. Returns the
/// component's logger.
std::shared_ptr<spdlog::logger> setup_logging(const std::string& level,
                                              const char* component);

} // namespace cursor::app
