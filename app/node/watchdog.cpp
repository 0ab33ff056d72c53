#include "node/watchdog.hpp"

namespace cursor::node {

watchdog::~watchdog() {
  disarm();
}

void watchdog::arm(std::chrono::steady_clock::duration limit,
                   std::function<void()> on_expiry) {
  if (thread_.joinable())
    return;
  disarmed_ = false;
  auto deadline = std::chrono::steady_clock::now() + limit;
  thread_ = std::thread{[this, deadline, f = std::move(on_expiry)] {
    std::unique_lock<std::mutex> guard{mtx_};
    if (!cv_.wait_until(guard, deadline, [this] { return disarmed_; }))
      f();
  }};
}

void watchdog::disarm() {
  if (!thread_.joinable())
    return;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    disarmed_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

} // namespace cursor::node
