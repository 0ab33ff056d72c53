#include "common/lock_file.hpp"

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cursor::app {

namespace {

std::string errno_text(int code) {
  return std::strerror(code);
}

// Reads the holder's pid, or returns an empty string when the file holds
// none (yet): the holder writes it right after locking.
std::string read_pid(int fd) {
  char buf[32] = {};
  auto n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0)
    return {};
  std::string_view text{buf, static_cast<size_t>(n)};
  auto end = text.find_first_not_of("0123456789");
  text = text.substr(0, end);
  return std::string{text};
}

} // namespace

std::optional<lock_file> lock_file::acquire(const std::string& path,
                                            std::string& error) {
  // O_NOFOLLOW: in a directory other users can write to, a planted link
  // would make us truncate whatever file it points to. No O_TRUNC: the file
  // is emptied only once it is known to be our own lock file (below).
  int fd = ::open(path.c_str(),
                  O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
  if (fd < 0) {
    auto code = errno;
    if (code == ELOOP)
      error = "the lock file '" + path
              + "' is a symbolic link; refused (a link could point the lock "
                "at any file): give the real path";
    else
      error = "cannot open lock file '" + path + "': " + errno_text(code);
    return std::nullopt;
  }
  struct stat st {};
  std::string refusal;
  if (::fstat(fd, &st) != 0)
    refusal = "cannot stat lock file '" + path + "': " + errno_text(errno);
  else if (!S_ISREG(st.st_mode))
    refusal = "the lock file '" + path + "' is not a regular file";
  else if (st.st_uid != ::geteuid())
    refusal = "the lock file '" + path + "' belongs to uid "
              + std::to_string(st.st_uid) + ", not to this user (uid "
              + std::to_string(::geteuid()) + "); refused";
  else if (st.st_nlink != 1)
    refusal = "the lock file '" + path + "' has " + std::to_string(st.st_nlink)
              + " hard links; refused (writing our pid into it would "
                "overwrite another file)";
  if (!refusal.empty()) {
    error = std::move(refusal);
    ::close(fd);
    return std::nullopt;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto code = errno;
    if (code == EWOULDBLOCK) {
      auto pid = read_pid(fd);
      error = "the database is held by another cursor node or tailer (pid "
              + (pid.empty() ? std::string{"unknown"} : pid) + ", lock file '"
              + path + "')";
    } else {
      error = "cannot lock '" + path + "': " + errno_text(code);
    }
    ::close(fd);
    return std::nullopt;
  }
  auto text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0
      || ::pwrite(fd, text.data(), text.size(), 0)
             != static_cast<ssize_t>(text.size())) {
    error = "cannot write lock file '" + path + "': " + errno_text(errno);
    ::close(fd);
    return std::nullopt;
  }
  return lock_file{fd, path};
}

lock_file::lock_file(int fd, std::string path)
    : fd_(fd), path_(std::move(path)) {
  // nop
}

lock_file::lock_file(lock_file&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {
  // nop
}

lock_file& lock_file::operator=(lock_file&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

lock_file::~lock_file() {
  release();
}

void lock_file::release() {
  if (fd_ < 0)
    return;
  // Best effort: a stale pid in the file would only mislead a reader, the
  // lock itself goes with the descriptor.
  [[maybe_unused]] auto rc = ::ftruncate(fd_, 0);
  ::close(fd_);
  fd_ = -1;
}

} // namespace cursor::app
