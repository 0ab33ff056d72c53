#include "common/file_guard.hpp"

#include <filesystem>
#include <optional>
#include <system_error>

#include <sys/stat.h>

namespace cursor::app {

namespace {

namespace fs = std::filesystem;

struct identity {
  dev_t dev = 0;
  ino_t ino = 0;
};

// The path with every symbolic link resolved as far as the file system
// allows: a missing file or directory keeps its remaining components as
// given (lexically normalised).
std::string resolved(const std::string& path) {
  std::error_code ec;
  auto absolute = fs::absolute(path, ec);
  if (ec)
    return fs::path{path}.lexically_normal().string();
  auto result = fs::weakly_canonical(absolute, ec);
  if (ec)
    return absolute.lexically_normal().string();
  return result.string();
}

std::string describe(const written_file& f) {
  if (f.role.empty())
    return f.option + " '" + f.path + "'";
  return "the " + f.role + " '" + f.path + "' of " + f.option;
}

struct checked_file {
  const written_file* file = nullptr;
  std::string real_path;
  std::optional<identity> id;
};

} // namespace

std::vector<written_file> database_files(const std::string& db_option,
                                         const std::string& db_path) {
  std::vector<written_file> result;
  result.push_back({db_option, db_path, {}});
  auto real = resolved(db_path);
  for (auto base : {db_path, real}) {
    result.push_back({db_option, base + "-wal", "WAL file (-wal)"});
    result.push_back({db_option, base + "-shm", "shared-memory file (-shm)"});
    result.push_back({db_option, base + "-journal", "journal file (-journal)"});
  }
  return result;
}

std::string check_distinct_files(const std::vector<written_file>& files) {
  std::vector<checked_file> checked;
  checked.reserve(files.size());
  for (auto& f : files) {
    checked_file c;
    c.file = &f;
    c.real_path = resolved(f.path);
    struct stat st {};
    // stat() follows links: a link to a file is that file.
    // Whether each file may be used (a directory, a device) is checked
    // where it is opened; here only identity matters.
    if (::stat(f.path.c_str(), &st) == 0)
      c.id = identity{st.st_dev, st.st_ino};
    checked.push_back(std::move(c));
  }
  for (size_t i = 0; i < checked.size(); ++i)
    for (size_t j = i + 1; j < checked.size(); ++j) {
      auto& a = checked[i];
      auto& b = checked[j];
      if (a.file->option == b.file->option)
        continue;
      bool same_path = a.real_path == b.real_path;
      bool same_inode
          = a.id && b.id && a.id->dev == b.id->dev && a.id->ino == b.id->ino;
      if (!same_path && !same_inode)
        continue;
      // Name an option's own file first when the other one is derived.
      auto& first = !a.file->role.empty() && b.file->role.empty() ? b : a;
      auto& second = &first == &a ? b : a;
      auto how = same_path ? std::string{"the same file"}
                           : std::string{"hard links to the same file"};
      return describe(*first.file) + " and " + describe(*second.file) + " are "
             + how + " ('" + (same_path ? a.real_path : b.real_path)
             + "'): every file the process writes must be a distinct file";
    }
  return {};
}

} // namespace cursor::app
