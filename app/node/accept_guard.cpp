#include "node/accept_guard.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/logger.h>

namespace cursor::node {

namespace {

std::atomic<bool> installed{false};
// Accepted descriptors at or above this number are refused.
std::atomic<long> first_refused_fd{0};
std::atomic<uint64_t> refused_total{0};
std::mutex reserve_mtx;
int reserve_fd = -1;
uint64_t fd_limit = 0;
int fd_headroom = 0;
std::shared_ptr<spdlog::logger> guard_log;
std::atomic<int64_t> next_log_ms{0};

int open_reserve() {
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void note_refusal(const char* why) {
  auto total = refused_total.fetch_add(1) + 1;
  auto now = now_ms();
  auto next = next_log_ms.load();
  if (now < next || !next_log_ms.compare_exchange_strong(next, now + 10000))
    return;
  if (guard_log)
    guard_log->warn("refused a connection: {} (limit {} descriptors, {} kept "
                    "free; {} refused so far); raise the descriptor limit "
                    "(LimitNOFILE=) or close idle clients",
                    why, fd_limit, fd_headroom, total);
}

// The pending connection of `fd` is taken with the reserve descriptor and
// closed, so that the listening socket stops being readable.
void drain_one(int fd) {
  std::lock_guard<std::mutex> guard{reserve_mtx};
  if (reserve_fd >= 0) {
    ::close(reserve_fd);
    reserve_fd = -1;
    int s = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (s >= 0)
      ::close(s);
  }
  reserve_fd = open_reserve();
}

} // namespace

void install_accept_guard(uint64_t limit, int headroom,
                          std::shared_ptr<spdlog::logger> log) {
  fd_limit = limit;
  fd_headroom = headroom;
  guard_log = std::move(log);
  {
    std::lock_guard<std::mutex> guard{reserve_mtx};
    if (reserve_fd < 0)
      reserve_fd = open_reserve();
  }
  auto cap = static_cast<long>(limit) - headroom;
  first_refused_fd = cap > 0 ? cap : 0;
  installed = true;
}

uint64_t refused_connections() {
  return refused_total.load();
}

} // namespace cursor::node

// See accept_guard.hpp: CAF's libcaf_io calls this accept(2).
extern "C" int accept(int fd, sockaddr* __restrict addr,
                      socklen_t* __restrict len) {
  using namespace cursor::node;
  int s = ::accept4(fd, addr, len, SOCK_CLOEXEC);
  if (!installed.load(std::memory_order_relaxed))
    return s;
  if (s >= 0) {
    if (first_refused_fd > 0 && s >= first_refused_fd.load()) {
      ::close(s);
      note_refusal("too few descriptors left");
      errno = EAGAIN;
      return -1;
    }
    return s;
  }
  if (errno == EMFILE || errno == ENFILE) {
    auto code = errno;
    drain_one(fd);
    note_refusal(code == EMFILE ? "out of descriptors (EMFILE)"
                                : "the system is out of files (ENFILE)");
    errno = EAGAIN;
  }
  return s;
}
