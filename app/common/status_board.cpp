#include "common/status_board.hpp"

#include <utility>

namespace cursor::app {

const char* to_string(host_phase phase) {
  switch (phase) {
    case host_phase::starting:
      return "starting";
    case host_phase::serving:
      return "serving";
    case host_phase::stopping:
      return "stopping";
  }
  return "unknown";
}

void status_board::set_phase(host_phase phase) {
  std::lock_guard<std::mutex> guard{mtx_};
  state_.phase = phase;
}

void status_board::publish(std::string metrics, std::string not_ready) {
  std::lock_guard<std::mutex> guard{mtx_};
  state_.metrics = std::move(metrics);
  state_.not_ready = std::move(not_ready);
  ++state_.refreshes;
}

status_board::snapshot status_board::read() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return state_;
}

} // namespace cursor::app
