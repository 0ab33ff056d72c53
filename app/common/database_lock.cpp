#include "common/database_lock.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace cursor::app {

namespace {

// The pid holding a FLOCK on the file (dev, ino), from /proc/locks lines
// like "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234 0 EOF"; empty if unknown.
std::string flock_holder(const struct stat& st) {
  std::ifstream in{"/proc/locks"};
  std::string line;
  char wanted[64];
  std::snprintf(wanted, sizeof(wanted), "%02x:%02x:%llu", major(st.st_dev),
                minor(st.st_dev), static_cast<unsigned long long>(st.st_ino));
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string index, kind, mode, access, pid, file;
    fields >> index >> kind;
    if (kind == "->") // a waiter: "1: -> FLOCK ..."
      continue;
    fields >> mode >> access >> pid >> file;
    if (kind == "FLOCK" && file == wanted && pid != std::to_string(::getpid()))
      return pid;
  }
  return {};
}

} // namespace

std::optional<database_lock> database_lock::acquire(const std::string& db_path,
                                                    std::string& error) {
  int fd
      = ::open(db_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
  // A read-only file or file system: lock it all the same (flock needs no
  // write access) and let the store refuse it with its own, clearer error.
  if (fd < 0 && (errno == EACCES || errno == EROFS))
    fd = ::open(db_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    error = "cannot open the database file '" + db_path
            + "' to lock it: " + std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "the database '" + db_path + "' is not a regular file";
    ::close(fd);
    return std::nullopt;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto code = errno;
    if (code == EWOULDBLOCK) {
      auto pid = flock_holder(st);
      error = "the database file is held by another cursor node or tailer (pid "
              + (pid.empty() ? std::string{"unknown"} : pid)
              + ") that reaches it through another name, link or lock file";
    } else {
      error = "cannot lock the database file '" + db_path
              + "': " + std::strerror(code);
    }
    ::close(fd);
    return std::nullopt;
  }
  // Again under the lock: before it, another store may have been writing.
  if (::fstat(fd, &st) != 0) {
    error = "cannot stat the database file '" + db_path
            + "': " + std::strerror(errno);
    ::close(fd);
    return std::nullopt;
  }
  return database_lock{fd, st.st_size == 0};
}

database_lock::database_lock(int fd, bool found_empty)
    : fd_(fd), found_empty_(found_empty) {
  // nop
}

database_lock::database_lock(database_lock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), found_empty_(other.found_empty_) {
  // nop
}

database_lock& database_lock::operator=(database_lock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    found_empty_ = other.found_empty_;
  }
  return *this;
}

database_lock::~database_lock() {
  release();
}

void database_lock::release() {
  if (fd_ < 0)
    return;
  ::close(fd_);
  fd_ = -1;
}

} // namespace cursor::app
