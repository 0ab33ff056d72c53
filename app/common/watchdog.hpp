#pragma once

// Bounds the shutdown: if the node has not finished by the deadline (a writer
// stuck in a system call would keep CAF's actor_system destructor waiting),
// the watchdog runs its expiry action, which exits the process.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace cursor::app {

class watchdog {
public:
  watchdog() = default;
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;
  ~watchdog();

  /// Runs `on_expiry` on the watchdog's thread unless disarm() is called
  /// within `limit`. Arming an armed or disarmed watchdog does nothing; any
  /// thread may call it.
  void arm(std::chrono::steady_clock::duration limit,
           std::function<void()> on_expiry);

  /// Cancels the expiry for good and joins the thread.
  void disarm();

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool disarmed_ = false;
  std::thread thread_;
};

} // namespace cursor::app
