#pragma once

#include <memory>

#include <spdlog/logger.h>

namespace cursor {

/// The library's spdlog logger, named `cursor`. A host that registered a
/// logger of that name before first use gets its own; otherwise a colored
/// stderr logger is created.
const std::shared_ptr<spdlog::logger>& log();

} // namespace cursor
