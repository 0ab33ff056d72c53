#pragma once

// The node's log: one stderr sink shared by the node's logger ("node") and
// the library's ("cursor"), so both speak in one format and at one level.

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace cursor::node {

/// Creates and registers the `node` and `cursor` loggers at `level` (one of
/// trace, debug, info, warn, error, critical, off; validated by the config).
/// Call it before the store is spawned: the library adopts a logger named
/// `cursor` registered before its first log line. Returns the node's logger.
std::shared_ptr<spdlog::logger> setup_logging(const std::string& level);

} // namespace cursor::node
