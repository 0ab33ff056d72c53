// The online backup against real SQLite files: the copy is a complete,
// self-contained store; existing files, symlinks and missing directories are
// refused without touching anything.

#define CAF_SUITE sqlite_backup

#include "sqlite/backup.hpp"
#include "sqlite/database.hpp"

#include "test.hpp"

#include <algorithm>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

using namespace cursor;
using cursor::sqlite::backup_to;
using cursor::sqlite::database;

namespace {

struct fixture {
  test::temp_dir dir;
  storage_options opts;
  std::optional<database> db;

  fixture() {
    opts.db_path = dir.file("cursors.db");
    auto opened = database::open(opts);
    REQUIRE_MSG(opened, render(opened.error()));
    db.emplace(std::move(*opened));
  }

  void write(const std::string& peer, const std::string& id) {
    write_batch batch;
    batch.ops.push_back(write_op{peer, id, 1, false});
    auto rows = db->write(batch);
    REQUIRE_MSG(rows, render(rows.error()));
  }

  std::vector<std::string> files() {
    std::vector<std::string> result;
    for (auto& x : std::filesystem::directory_iterator(dir.path()))
      result.push_back(x.path().filename().string());
    std::sort(result.begin(), result.end());
    return result;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(sqlite_backup_tests, fixture)

CAF_TEST(the copy holds every committed row and opens as a store) {
  for (int i = 0; i < 500; ++i)
    write("peer-" + std::to_string(i), std::to_string(i) + "-1");
  auto path = dir.file("copy.db");
  auto rows = backup_to(db->handle(), path);
  REQUIRE_MSG(rows, render(rows.error()));
  CAF_CHECK_EQUAL(*rows, 500u);
  CAF_CHECK(test::read_rows(path) == test::read_rows(opts.db_path));
  // Self-contained: a rollback-journal file, no -wal or -journal beside it.
  auto header = test::read_file(path).substr(18, 2);
  CAF_CHECK_EQUAL(static_cast<int>(header[0]), 1);
  CAF_CHECK_EQUAL(static_cast<int>(header[1]), 1);
  for (auto& name : files())
    CHECK_MSG(name.rfind("copy.db", 0) != 0 || name == "copy.db",
              "stray file " << name);
  // It opens as a store (verified schema) and loads every row.
  storage_options copy_opts;
  copy_opts.db_path = path;
  auto copy = database::open(copy_opts);
  REQUIRE_MSG(copy, render(copy.error()));
  auto loaded = copy->load();
  REQUIRE_MSG(loaded, render(loaded.error()));
  CAF_CHECK_EQUAL(loaded->size(), 500u);
  struct stat info {};
  CAF_REQUIRE(::stat(path.c_str(), &info) == 0);
  CAF_CHECK_EQUAL(info.st_mode & 0077, 0u);
}

CAF_TEST(an existing file is refused and left untouched) {
  write("peer-a", "1-0");
  auto path = dir.file("taken.db");
  test::write_file(path, "precious");
  auto rows = backup_to(db->handle(), path);
  CAF_REQUIRE(!rows);
  CHECK_MSG(is(rows.error(), errc::backup_exists), render(rows.error()));
  CAF_CHECK_EQUAL(test::read_file(path), "precious");
}

CAF_TEST(a symlink is refused and its target untouched) {
  write("peer-a", "1-0");
  auto target = dir.file("target.txt");
  test::write_file(target, "keep");
  auto link = dir.file("link.db");
  CAF_REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  auto rows = backup_to(db->handle(), link);
  CAF_REQUIRE(!rows);
  CHECK_MSG(is(rows.error(), errc::backup_exists), render(rows.error()));
  CAF_CHECK_EQUAL(test::read_file(target), "keep");
  // A dangling symlink is refused too (O_EXCL never follows it).
  auto dangling = dir.file("dangling.db");
  CAF_REQUIRE(::symlink(dir.file("nowhere.db").c_str(), dangling.c_str()) == 0);
  rows = backup_to(db->handle(), dangling);
  CAF_REQUIRE(!rows);
  CAF_CHECK(is(rows.error(), errc::backup_exists));
  CAF_CHECK(!std::filesystem::exists(dir.file("nowhere.db")));
}

CAF_TEST(a missing directory is refused) {
  auto rows = backup_to(db->handle(), dir.file("missing/x.db"));
  CAF_REQUIRE(!rows);
  CHECK_MSG(is(rows.error(), errc::invalid_backup_name), render(rows.error()));
  CAF_CHECK(!std::filesystem::exists(dir.file("missing")));
}

CAF_TEST(a second backup under the same name is refused) {
  write("peer-a", "1-0");
  auto path = dir.file("same.db");
  CAF_REQUIRE(backup_to(db->handle(), path));
  write("peer-a", "2-0");
  auto again = backup_to(db->handle(), path);
  CAF_REQUIRE(!again);
  CAF_CHECK(is(again.error(), errc::backup_exists));
  CAF_CHECK_EQUAL(test::row(path, "peer-a"), "1-0");
}

CAF_TEST(a failed copy removes its partial file) {
  write("peer-a", "1-0");
  // A closed source makes the copy fail after the file was created.
  sqlite3* other = nullptr;
  CAF_REQUIRE(
      sqlite3_open_v2(":memory:", &other, SQLITE_OPEN_READWRITE, nullptr)
      == SQLITE_OK);
  // An empty in-memory database has no `cursors` table: the copy succeeds
  // as a file but counting its cursors fails.
  auto path = dir.file("partial.db");
  auto rows = backup_to(other, path);
  sqlite3_close(other);
  CAF_REQUIRE(!rows);
  CHECK_MSG(is(rows.error(), errc::storage_error), render(rows.error()));
  CAF_CHECK(!std::filesystem::exists(path));
}

// Issue 17: a backup named like the database or a side file of it would be
// adopted as its WAL or deleted as a hot journal.
CAF_TEST(a backup onto the database or a file beside it is refused) {
  write("peer-a", "1-0");
  auto before = files();
  for (auto name : {"cursors.db", "cursors.db-wal", "cursors.db-shm",
                    "cursors.db-journal"}) {
    auto rows = backup_to(db->handle(), dir.file(name));
    CAF_REQUIRE(!rows);
    CHECK_MSG(is(rows.error(), errc::invalid_backup_name),
              render(rows.error()));
    CHECK_MSG(render(rows.error()).find("the database") != std::string::npos,
              render(rows.error()));
    CAF_CHECK_EQUAL(files(), before);
  }
  CAF_CHECK_EQUAL(test::row(opts.db_path, "peer-a"), "1-0");
}

CAF_TEST(the database is recognised through parent and linked directories) {
  write("peer-a", "1-0");
  std::filesystem::create_directory(dir.file("sub"));
  std::filesystem::create_directory_symlink(dir.path(), dir.file("alias"));
  auto before = files();
  for (auto path :
       {dir.file("sub/../cursors.db-journal"), dir.file("alias/cursors.db-wal"),
        dir.file("alias/./cursors.db-shm")}) {
    auto rows = backup_to(db->handle(), path);
    CAF_REQUIRE(!rows);
    CHECK_MSG(is(rows.error(), errc::invalid_backup_name),
              render(rows.error()));
    CAF_CHECK_EQUAL(files(), before);
  }
}

CAF_TEST(a hard link to the database under another name is refused) {
  write("peer-a", "1-0");
  auto other = dir.file("other.db");
  CAF_REQUIRE(::link(opts.db_path.c_str(), other.c_str()) == 0);
  auto rows = backup_to(db->handle(), other);
  CAF_REQUIRE(!rows);
  CHECK_MSG(is(rows.error(), errc::invalid_backup_name), render(rows.error()));
}

CAF_TEST(the protected files of the host are refused too) {
  write("peer-a", "1-0");
  auto lock = dir.file("cursors.db.lock");
  std::filesystem::create_directory_symlink(dir.path(), dir.file("alias"));
  auto rows
      = backup_to(db->handle(), dir.file("alias/cursors.db.lock"), {lock});
  CAF_REQUIRE(!rows);
  CHECK_MSG(is(rows.error(), errc::invalid_backup_name), render(rows.error()));
  CAF_CHECK(!std::filesystem::exists(lock));
  // Another name in the same directory is fine.
  auto ok = backup_to(db->handle(), dir.file("alias/copy.db"), {lock});
  CHECK_MSG(ok, render(ok.error()));
}

CAF_TEST_FIXTURE_SCOPE_END()
