#pragma once

// A temporary directory per test, removed with everything in it.

#include <cstdlib>
#include <filesystem>
#include <string>

namespace test_host {

class temp_dir {
public:
  temp_dir() {
    std::string pattern
        = (std::filesystem::temp_directory_path() / "cursor-host-XXXXXX")
              .string();
    if (::mkdtemp(pattern.data()) == nullptr)
      std::abort();
    path_ = pattern;
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  std::string path(const std::string& name) const {
    return (std::filesystem::path{path_} / name).string();
  }

private:
  std::string path_;
};

} // namespace test_host
