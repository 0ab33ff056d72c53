#include "common/metrics_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

namespace cursor::app {

namespace {

std::string parent_of(const std::string& path) {
  auto parent = std::filesystem::path{path}.parent_path();
  return parent.empty() ? std::string{"."} : parent.string();
}

} // namespace

std::string write_file_atomically(const std::string& path,
                                  const std::string& content) {
  auto tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return "cannot create '" + tmp + "': " + std::strerror(errno);
  auto fail = [&](const char* what) {
    auto text = std::string{what} + " '" + tmp + "': " + std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return text;
  };
  const char* data = content.data();
  size_t left = content.size();
  while (left > 0) {
    auto n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail("cannot write");
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    return fail("cannot sync");
  if (::close(fd) != 0) {
    auto text = "cannot close '" + tmp + "': " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return text;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    auto text = "cannot rename '" + tmp + "' to '" + path
                + "': " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return text;
  }
  return {};
}

std::string check_writable_location(const std::string& path) {
  auto dir = parent_of(path);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return "the directory '" + dir + "' of the metrics file does not exist";
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return "the directory '" + dir
           + "' of the metrics file is not writable: " + std::strerror(errno);
  if (std::filesystem::is_directory(path, ec))
    return "the metrics file '" + path + "' is a directory";
  return {};
}

} // namespace cursor::app
