#include "sqlite/backup.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor_actor/error.hpp"
#include "sqlite/directory_of.hpp"
#include "sqlite/result_code.hpp"
#include "sqlite/statement.hpp"

namespace cursor::sqlite {

namespace {

struct fd_closer {
  int fd = -1;
  ~fd_closer() {
    if (fd >= 0)
      ::close(fd);
  }
};

struct connection_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

using connection = std::unique_ptr<sqlite3, connection_closer>;

struct backup_finisher {
  void operator()(sqlite3_backup* b) const { sqlite3_backup_finish(b); }
};

std::string quote_path(const std::string& path) {
  return "'" + path + "'";
}

caf::error errno_error(int err, const std::string& path) {
  auto what = "backup " + quote_path(path) + ": " + std::strerror(err);
  switch (err) {
    case EEXIST:
      return caf::make_error(errc::backup_exists,
                             "backup " + quote_path(path)
                                 + " exists already (backups never overwrite; "
                                   "choose another name)");
    case ELOOP:
      return caf::make_error(errc::backup_exists,
                             "backup " + quote_path(path)
                                 + " exists already as a symbolic link "
                                   "(backups never overwrite)");
    case ENOENT:
    case ENOTDIR:
      return caf::make_error(errc::invalid_backup_name,
                             what + " (the directory does not exist)");
    case EACCES:
    case EPERM:
    case EROFS:
      return caf::make_error(errc::cannot_open, what);
    default:
      return caf::make_error(errc::storage_error, what);
  }
}

bool same_file(int fd, const std::string& path) {
  struct stat a {};
  struct stat b {};
  return ::fstat(fd, &a) == 0 && ::lstat(path.c_str(), &b) == 0
         && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

caf::expected<int64_t> count_rows(sqlite3* db) {
  sqlite3_stmt* raw = nullptr;
  auto rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM cursors", -1, &raw,
                               nullptr);
  if (rc != SQLITE_OK)
    return to_error(rc, db, "backup: count the copied cursors");
  statement stmt{db, raw};
  rc = stmt.step();
  if (rc != SQLITE_ROW)
    return to_error(rc, db, "backup: count the copied cursors");
  return stmt.column_int64(0);
}

caf::error exec(sqlite3* db, const char* sql, const char* what) {
  auto rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    return to_error(rc, db, what);
  return caf::none;
}

// Everything after the exclusive create; the caller removes the file when
// this fails.
caf::expected<uint64_t> copy_into(sqlite3* source, int fd,
                                  const std::string& path) {
  sqlite3* raw = nullptr;
  // No SQLITE_OPEN_CREATE: the file was made by us a moment ago. No URI.
  auto rc = sqlite3_open_v2(
      path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  connection dest{raw};
  if (rc != SQLITE_OK)
    return to_error(rc, raw, "backup: open " + quote_path(path));
  sqlite3_extended_result_codes(raw, 1);
  // The name must still be the file we created (nobody swapped it between
  // the create and the open).
  if (!same_file(fd, path))
    return caf::make_error(errc::storage_error,
                           "backup " + quote_path(path)
                               + " was replaced while the copy started");
  // No journal for the copy: it is removed if anything below fails, and no
  // `-journal` file appears beside it.
  if (auto err = exec(raw, "PRAGMA journal_mode = OFF",
                      "backup: set the copy's journal mode"))
    return err;
  {
    std::unique_ptr<sqlite3_backup, backup_finisher> b{
        sqlite3_backup_init(raw, "main", source, "main")};
    if (!b)
      return to_error(sqlite3_extended_errcode(raw), raw, "backup: start");
    rc = sqlite3_backup_step(b.get(), -1);
    if (rc != SQLITE_DONE)
      return to_error(rc, source, "backup: copy");
    rc = sqlite3_backup_finish(b.release());
    if (rc != SQLITE_OK)
      return to_error(rc, raw, "backup: finish");
  }
  // The copied header says WAL when the source is in WAL mode: make the copy
  // a plain single file.
  if (auto err = exec(raw, "PRAGMA journal_mode = DELETE",
                      "backup: set the copy's journal mode"))
    return err;
  auto rows = count_rows(raw);
  if (!rows)
    return std::move(rows.error());
  rc = sqlite3_close(dest.release());
  if (rc != SQLITE_OK)
    return to_error(rc, nullptr, "backup: close " + quote_path(path));
  if (::fsync(fd) != 0)
    return caf::make_error(errc::storage_error, "backup: fsync "
                                                    + quote_path(path) + ": "
                                                    + std::strerror(errno));
  fd_closer dir{
      ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0 || ::fsync(dir.fd) != 0)
    return caf::make_error(errc::storage_error,
                           "backup: fsync the directory of " + quote_path(path)
                               + ": " + std::strerror(errno));
  return static_cast<uint64_t>(*rows);
}

// A file as the kernel reaches it: the directory (every link, `.` and `..`
// resolved: its device and inode) and the last name, which is not resolved
// (a link there is a name of its own, never followed by the backup).
struct place {
  dev_t dev = 0;
  ino_t ino = 0;
  std::string name;
};

std::optional<place> place_of(const std::string& path) {
  auto slash = path.rfind('/');
  auto name = slash == std::string::npos ? path : path.substr(slash + 1);
  struct stat dir {};
  if (name.empty() || ::stat(directory_of(path).c_str(), &dir) != 0)
    return std::nullopt;
  return place{dir.st_dev, dir.st_ino, std::move(name)};
}

std::string resolved(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real{
      ::realpath(path.c_str(), nullptr), &std::free};
  return real ? std::string{real.get()} : std::string{};
}

// The files a backup may not be written to, with what each is.
std::vector<std::pair<std::string, std::string>>
guarded_files(sqlite3* source, const std::vector<std::string>& extra) {
  std::vector<std::pair<std::string, std::string>> result;
  auto add_database = [&](const std::string& db) {
    static constexpr const char* roles[] = {
        "the database", "the database's WAL file",
        "the database's shared-memory file", "the database's rollback journal"};
    auto names = database_side_files(db);
    for (size_t i = 0; i < names.size(); ++i)
      result.emplace_back(names[i], roles[i]);
  };
  const char* main = sqlite3_db_filename(source, "main");
  if (main != nullptr && *main != '\0') {
    add_database(main);
    if (auto real = resolved(main); !real.empty() && real != main)
      add_database(real);
  }
  for (auto& x : extra) {
    result.emplace_back(x, "a file of this process");
    if (auto real = resolved(x); !real.empty() && real != x)
      result.emplace_back(real, "a file of this process");
  }
  return result;
}

// Refuses `path` when it is one of the guarded files (see backup.hpp).
caf::error refuse_guarded(sqlite3* source, const std::string& path,
                          const std::vector<std::string>& extra) {
  auto target = place_of(path);
  if (!target)
    return caf::none; // the create fails and says why
  struct stat existing {};
  bool exists = ::stat(path.c_str(), &existing) == 0;
  for (auto& [file, role] : guarded_files(source, extra)) {
    auto guarded = place_of(file);
    bool same_name = guarded && guarded->dev == target->dev
                     && guarded->ino == target->ino
                     && guarded->name == target->name;
    struct stat st {};
    bool same_inode = exists && ::stat(file.c_str(), &st) == 0
                      && st.st_dev == existing.st_dev
                      && st.st_ino == existing.st_ino;
    if (same_name || same_inode)
      return caf::make_error(errc::invalid_backup_name,
                             "backup " + quote_path(path) + " is " + role + " ("
                                 + quote_path(file)
                                 + "): a backup there would destroy it; "
                                   "choose another name; nothing was written");
  }
  return caf::none;
}

} // namespace

std::vector<std::string> database_side_files(const std::string& db) {
  return {db, db + "-wal", db + "-shm", db + "-journal"};
}

caf::expected<uint64_t>
backup_to(sqlite3* source, const std::string& path,
          const std::vector<std::string>& protected_files) {
  if (path.empty() || path.back() == '/')
    return caf::make_error(errc::invalid_backup_name,
                           "backup " + quote_path(path) + " names no file");
  if (path.find('\0') != std::string::npos)
    return caf::make_error(errc::invalid_backup_name,
                           "the backup path contains a NUL byte");
  if (auto err = refuse_guarded(source, path, protected_files))
    return err;
  fd_closer file{::open(path.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0600)};
  if (file.fd < 0)
    return errno_error(errno, path);
  auto result = copy_into(source, file.fd, path);
  if (!result && same_file(file.fd, path))
    ::unlink(path.c_str());
  return result;
}

} // namespace cursor::sqlite
