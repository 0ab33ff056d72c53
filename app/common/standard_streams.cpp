#include "common/standard_streams.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <streambuf>

#include <fcntl.h>
#include <unistd.h>

namespace cursor::app {

namespace {

// Returns true when `fd` was closed and is now /dev/null opened `flags`.
bool occupy(int fd, int flags) {
  if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF)
    return false;
  int null = ::open("/dev/null", flags | O_CLOEXEC);
  if (null < 0)
    return true; // nothing better to do: the descriptor stays closed
  if (null != fd) {
    ::dup2(null, fd);
    ::close(null);
  }
  return true;
}

// std::cout's buffer: descriptor 1 through write(2), so that the reason of a
// failure is known (stdio keeps only its error flag). After the first
// failure it refuses everything: the output is broken, nothing more goes
// out.
class checked_stdout_buffer : public std::streambuf {
public:
  checked_stdout_buffer() {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }

  /// The errno of the first failed write; 0 while none failed.
  int error() const { return error_; }

protected:
  int_type overflow(int_type c) override {
    if (!drain())
      return traits_type::eof();
    if (traits_type::eq_int_type(c, traits_type::eof()))
      return traits_type::not_eof(c);
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
    return c;
  }

  int sync() override { return drain() ? 0 : -1; }

private:
  bool drain() {
    if (error_ != 0)
      return false;
    const char* data = pbase();
    size_t left = static_cast<size_t>(pptr() - pbase());
    while (left > 0) {
      auto n = ::write(STDOUT_FILENO, data, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        error_ = n < 0 ? errno : EIO;
        setp(buffer_.data(), buffer_.data()); // accepts nothing more
        return false;
      }
      data += n;
      left -= static_cast<size_t>(n);
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return true;
  }

  std::array<char, 65536> buffer_{};
  int error_ = 0;
};

// Never destroyed: std::cout flushes at exit, after static objects are gone.
checked_stdout_buffer* stdout_buffer = nullptr;

} // namespace

closed_streams prepare_standard_streams() {
  closed_streams result;
  // In this order: open() takes the lowest free descriptor.
  result.in = occupy(STDIN_FILENO, O_WRONLY);
  result.out = occupy(STDOUT_FILENO, O_RDONLY);
  result.err = occupy(STDERR_FILENO, O_RDONLY);
  if (stdout_buffer == nullptr) {
    stdout_buffer = new checked_stdout_buffer;
    std::cout.rdbuf(stdout_buffer);
  }
  return result;
}

bool flush_checked(std::ostream& out) {
  return static_cast<bool>(out.flush());
}

std::string finish_stdout() {
  bool failed = !flush_checked(std::cout);
  int reason = stdout_buffer != nullptr ? stdout_buffer->error() : 0;
  // Anything written through C's stdout (nothing of ours, but a library
  // might) is checked too.
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    failed = true;
    reason = reason == 0 ? errno : reason;
  }
  if (!failed) {
    int copy = ::dup(STDOUT_FILENO);
    if (copy < 0 ? errno == EBADF : ::close(copy) != 0 && errno != EINTR) {
      failed = true;
      reason = errno;
    }
  }
  if (!failed)
    return {};
  return std::string{"cannot write to stdout: "}
         + (reason != 0 ? std::strerror(reason) : "write error");
}

} // namespace cursor::app
