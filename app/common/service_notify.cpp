#include "common/service_notify.hpp"

#include <system_error>

#include <spdlog/logger.h>
#include <systemd/sd-daemon.h>

namespace cursor::app {

namespace {

void notify(spdlog::logger& log, const char* state, const std::string& status) {
  // STATUS= is one line; the status texts come from our own log lines.
  std::string message = std::string{state} + "\nSTATUS=" + status;
  // unset_environment = 0: NOTIFY_SOCKET stays set for the STOPPING=1 that
  // follows the READY=1.
  auto rc = sd_notify(0, message.c_str());
  if (rc < 0)
    log.warn("cannot notify systemd ({}) through NOTIFY_SOCKET: {}", state,
             std::error_code{-rc, std::generic_category()}.message());
  else if (rc > 0)
    log.debug("notified systemd: {}", state);
  // rc == 0: not started by systemd (no NOTIFY_SOCKET); nothing to do.
}

} // namespace

void notify_ready(spdlog::logger& log, const std::string& status) {
  notify(log, "READY=1", status);
}

void notify_stopping(spdlog::logger& log, const std::string& status) {
  notify(log, "STOPPING=1", status);
}

} // namespace cursor::app
