#pragma once

// The file `cursorctl export -o FILE` writes. It is prepared before cursorctl
// connects, so a path that cannot be written is refused before anything
// happens, and it appears complete or not at all: the data goes to a
// temporary file beside it, which is synced and then renamed (or, without
// --overwrite, hard-linked, which fails if FILE appeared meanwhile).

#include <optional>
#include <sstream>
#include <string>

namespace cursor::cli {

class output_file {
public:
  /// Checks `path` and creates the temporary file `.<name>.tmp.<pid>` in
  /// its directory. Refuses (nullopt, `error` set to one line) a path that
  /// exists unless `overwrite`, anything but a regular file or a symbolic
  /// link (which --overwrite replaces, never follows), and a directory
  /// that does not exist or is not writable.
  static std::optional<output_file> prepare(const std::string& path,
                                            bool overwrite, std::string& error);

  output_file(output_file&& other) noexcept;
  output_file& operator=(output_file&&) = delete;
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;

  /// Removes the temporary file unless commit() succeeded.
  ~output_file();

  /// Where the data goes until commit().
  std::ostream& stream() { return buffer_; }

  /// Writes the data to the temporary file, syncs it and moves it to the
  /// path. Returns an empty string on success, else one line.
  std::string commit();

  const std::string& path() const { return path_; }

private:
  output_file(std::string path, std::string temp, int fd, bool overwrite);

  std::string path_;
  std::string temp_;
  int fd_ = -1;
  bool overwrite_ = false;
  bool committed_ = false;
  std::ostringstream buffer_;
};

} // namespace cursor::cli
