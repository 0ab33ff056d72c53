#pragma once

#include <string>

namespace cursor::sqlite {

/// The directory part of `path` as the kernel resolves it: "." when `path`
/// has no slash, "/" for a file in the root. Used to fsync or check the
/// directory that holds a database or backup file.
inline std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

} // namespace cursor::sqlite
