#include "common/watchdog.hpp"

namespace cursor::app {

watchdog::~watchdog() {
  disarm();
}

void watchdog::arm(std::chrono::steady_clock::duration limit,
                   std::function<void()> on_expiry) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (disarmed_ || thread_.joinable())
    return;
  auto deadline = std::chrono::steady_clock::now() + limit;
  thread_ = std::thread{[this, deadline, f = std::move(on_expiry)] {
    std::unique_lock<std::mutex> lock{mtx_};
    if (!cv_.wait_until(lock, deadline, [this] { return disarmed_; }))
      f();
  }};
}

void watchdog::disarm() {
  std::thread thread;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    disarmed_ = true;
    thread = std::move(thread_);
  }
  cv_.notify_all();
  if (thread.joinable())
    thread.join();
}

} // namespace cursor::app
