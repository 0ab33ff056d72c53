#include "common/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace cursor::app {

std::shared_ptr<spdlog::logger> setup_logging(const std::string& level,
                                              const char* component) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  auto lvl = spdlog::level::from_str(level);
  auto make = [&](const char* name) {
    auto log = std::make_shared<spdlog::logger>(name, sink);
    log->set_level(lvl);
    log->flush_on(spdlog::level::trace);
    spdlog::register_logger(log);
    return log;
  };
  make("cursor");
  make("cursor.migration"); // schema migration progress (schema_migration.hpp)
  return make(component);
}

} // namespace cursor::app
