#include "common/signal_hub.hpp"

#include <caf/send.hpp>

#include "common/signals.hpp"

namespace cursor::app {

void signal_hub::set_target(caf::actor target) {
  std::lock_guard<std::mutex> guard{mtx_};
  target_ = std::move(target);
}

void signal_hub::clear_target() {
  std::lock_guard<std::mutex> guard{mtx_};
  target_ = nullptr;
}

void signal_hub::post(int signo) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (target_)
    caf::anon_send(target_, signal_atom::value, static_cast<int32_t>(signo));
  else
    pending_ = signo;
}

int signal_hub::take_pending() {
  std::lock_guard<std::mutex> guard{mtx_};
  auto result = pending_;
  pending_ = 0;
  return result;
}

std::string signal_name(int signo) {
  return signal_name_of(signo);
}

} // namespace cursor::app
