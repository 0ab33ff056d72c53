#include "common/metrics_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
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
  // An unpredictable name created exclusively (mkostemp: O_CREAT|O_EXCL,
  // never through a link), in the same directory so that the rename is
  // atomic; hidden and not ending in `.prom`, so the collector skips it.
  auto p = std::filesystem::path{path};
  auto dir = p.parent_path();
  auto tmp_path = dir / ("." + p.filename().string() + ".XXXXXX");
  auto tmp = tmp_path.string();
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0)
    return "cannot create a temporary file for '" + path
           + "': " + std::strerror(errno);
  // mkostemp creates the file 0600; the collector may run as another user.
  if (::fchmod(fd, 0644) != 0) {
    auto text = "cannot chmod '" + tmp + "': " + std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return text;
  }
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
