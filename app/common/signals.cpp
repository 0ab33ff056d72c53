#include "common/signals.hpp"

#include <atomic>
#include <csignal>
#include <cstring>
#include <string>

#include <pthread.h>

namespace cursor::app {

namespace {

// Sent by stop() to the watcher thread only; a SIGUSR2 from outside is
// logged and ignored like SIGUSR1.
constexpr int wake_signal = SIGUSR2;

std::atomic<bool> stopping{false};

sigset_t watched_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int signo = 1; signo <= SIGRTMAX; ++signo) {
    auto action = action_of(signo);
    if (action == signal_action::shut_down
        || action == signal_action::log_and_ignore)
      sigaddset(&set, signo);
  }
  return set;
}

} // namespace

signal_action action_of(int signo) {
  // glibc reserves the real-time signals below SIGRTMIN for its own use.
  if (signo >= SIGRTMIN && signo <= SIGRTMAX)
    return signal_action::log_and_ignore;
  switch (signo) {
    case SIGINT:
    case SIGTERM:
    case SIGHUP:
    case SIGQUIT:
    case SIGXCPU:
    case SIGPWR:
      return signal_action::shut_down;
    case SIGUSR1:
    case SIGUSR2:
    case SIGALRM:
    case SIGVTALRM:
    case SIGPROF:
    case SIGPOLL:
    case SIGSTKFLT:
    case SIGSYS:
      return signal_action::log_and_ignore;
    case SIGPIPE:
    case SIGXFSZ:
      return signal_action::ignore;
    default:
      return signal_action::by_default;
  }
}

std::string signal_name_of(int signo) {
  if (signo >= SIGRTMIN && signo <= SIGRTMAX)
    return signo == SIGRTMIN ? std::string{"SIGRTMIN"}
                             : "SIGRTMIN+" + std::to_string(signo - SIGRTMIN);
  if (auto abbrev = sigabbrev_np(signo))
    return std::string{"SIG"} + abbrev;
  return "signal " + std::to_string(signo);
}

void signal_watcher::block_signals() {
  // SIG_IGN survives exec, but the node and the tailer exec nothing.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
  auto set = watched_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

signal_watcher::~signal_watcher() {
  stop();
}

void signal_watcher::start(callback on_shutdown, ignored_callback on_ignored) {
  stopping = false;
  thread_
      = std::thread{[f = std::move(on_shutdown), g = std::move(on_ignored)] {
          auto set = watched_set();
          int count = 0;
          bool had_xcpu = false;
          for (;;) {
            int signo = 0;
            if (sigwait(&set, &signo) != 0)
              continue;
            if (signo == wake_signal && stopping)
              return;
            if (action_of(signo) != signal_action::shut_down) {
              if (g)
                g(signo);
              continue;
            }
            if (signo == SIGXCPU) {
              if (had_xcpu)
                continue;
              had_xcpu = true;
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
