#include "logger.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace cursor {

const std::shared_ptr<spdlog::logger>& log() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    if (auto existing = spdlog::get("cursor"))
      return existing;
    try {
      return spdlog::stderr_color_mt("cursor");
    } catch (const spdlog::spdlog_ex&) {
      // Registered by the host between our get and our create.
      return spdlog::get("cursor");
    }
  }();
  return instance;
}

} // namespace cursor
