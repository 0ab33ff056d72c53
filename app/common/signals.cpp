#include "common/signals.hpp"

#include <atomic>
#include <csignal>

#include <pthread.h>

namespace cursor::app {

namespace {

// Sent by stop() to the watcher thread only; a SIGUSR2 from outside while
// the node runs is ignored.
constexpr int wake_signal = SIGUSR2;

std::atomic<bool> stopping{false};

sigset_t watched_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, wake_signal);
  return set;
}

} // namespace

void signal_watcher::block_signals() {
  auto set = watched_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

signal_watcher::~signal_watcher() {
  stop();
}

void signal_watcher::start(callback f) {
  stopping = false;
  thread_ = std::thread{[f = std::move(f)] {
    auto set = watched_set();
    int count = 0;
    for (;;) {
      int signo = 0;
      if (sigwait(&set, &signo) != 0)
        continue;
      if (signo == wake_signal) {
        if (stopping)
          return;
        continue;
      }
      f(signo, ++count);
    }
  }};
}

void signal_watcher::stop() {
  if (!thread_.joinable())
    return;
  stopping = true;
  pthread_kill(thread_.native_handle(), wake_signal);
  thread_.join();
}

} // namespace cursor::app
