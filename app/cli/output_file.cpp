#include "cli/output_file.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cursor::cli {

namespace {

std::string quoted_path(const std::string& path) {
  return "'" + path + "'";
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

} // namespace

std::optional<output_file> output_file::prepare(const std::string& path,
                                                bool overwrite,
                                                std::string& error) {
  auto name = base_name(path);
  if (name.empty() || name == "." || name == "..") {
    error = "cannot write " + quoted_path(path) + ": not a file name";
    return std::nullopt;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      error = "cannot write " + quoted_path(path) + ": it is a directory";
      return std::nullopt;
    }
    if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
      error = "cannot write " + quoted_path(path)
              + ": it exists and is not a regular file";
      return std::nullopt;
    }
    if (!overwrite) {
      error = quoted_path(path) + " exists (--overwrite replaces it)";
      return std::nullopt;
    }
  } else if (errno != ENOENT) {
    error = "cannot write " + quoted_path(path) + ": " + std::strerror(errno);
    return std::nullopt;
  }
  auto temp
      = directory_of(path) + "/." + name + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    error = "cannot write " + quoted_path(path) + ": cannot create a file in "
            + quoted_path(directory_of(path)) + ": " + std::strerror(errno);
    return std::nullopt;
  }
  return output_file{path, std::move(temp), fd, overwrite};
}

output_file::output_file(std::string path, std::string temp, int fd,
                         bool overwrite)
    : path_(std::move(path)), temp_(std::move(temp)), fd_(fd),
      overwrite_(overwrite) {
  // nop
}

output_file::output_file(output_file&& other) noexcept
    : path_(std::move(other.path_)), temp_(std::move(other.temp_)),
      fd_(std::exchange(other.fd_, -1)), overwrite_(other.overwrite_),
      committed_(std::exchange(other.committed_, true)),
      buffer_(std::move(other.buffer_)) {
  // nop
}

output_file::~output_file() {
  if (fd_ >= 0)
    ::close(fd_);
  if (!committed_ && !temp_.empty())
    ::unlink(temp_.c_str());
}

std::string output_file::commit() {
  auto fail = [&](const char* step) {
    return "cannot write " + quoted_path(path_) + ": " + step + ": "
           + std::strerror(errno);
  };
  if (!write_all(fd_, buffer_.str()))
    return fail("write");
  if (::fsync(fd_) != 0)
    return fail("fsync");
  auto fd = std::exchange(fd_, -1);
  if (::close(fd) != 0)
    return fail("close");
  if (overwrite_) {
    if (::rename(temp_.c_str(), path_.c_str()) != 0)
      return fail("rename");
  } else {
    // link() refuses an existing target: a file created since prepare()
    // is not replaced.
    if (::link(temp_.c_str(), path_.c_str()) != 0) {
      if (errno == EEXIST)
        return quoted_path(path_)
               + " appeared while exporting; not replaced "
                 "(--overwrite replaces it)";
      return fail("link");
    }
    ::unlink(temp_.c_str());
  }
  committed_ = true;
  // Make the new directory entry durable too.
  int dir = ::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

} // namespace cursor::cli
