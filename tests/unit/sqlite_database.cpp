// The storage layer against real SQLite files in temp directories: schema,
// compatibility with the Rust store, refusals that leave files untouched,
// busy classification, atomic batches, crash without close.

#define CAF_SUITE sqlite_database

#include "sqlite/database.hpp"
#include "sqlite/result_code.hpp"

#include "test.hpp"

#include <algorithm>
#include <filesystem>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

using namespace cursor;
using cursor::sqlite::database;

namespace {

struct fixture {
  test::temp_dir dir;
  storage_options opts;

  fixture() { opts.db_path = dir.file("cursors.db"); }

  database open() {
    auto db = database::open(opts);
    REQUIRE_MSG(db, render(db.error()));
    return std::move(*db);
  }

  // Runs SQL on a connection of its own.
  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(opts.db_path.c_str(), &db);
    char* msg = nullptr;
    auto rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    std::string text = msg ? msg : "";
    sqlite3_free(msg);
    sqlite3_close(db);
    REQUIRE_MSG(rc == SQLITE_OK, text);
  }

  // Gives the database file `mode`, opens it as an unprivileged user in a
  // child (root ignores permission bits) and returns whether the open was
  // refused with `expected`, naming the path, and left the file untouched.
  bool refused_as_nobody(mode_t mode, errc expected) {
    chmod(dir.path().c_str(), 0755);
    chmod(opts.db_path.c_str(), mode);
    auto before = test::read_file(opts.db_path);
    auto pid = fork();
    if (pid == 0) {
      if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
        _exit(3);
      auto db = database::open(opts);
      _exit(!db && is(db.error(), expected)
                    && render(db.error()).find(opts.db_path)
                           != std::string::npos
                ? 0
                : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0
           && test::read_file(opts.db_path) == before;
  }

  std::string pragma(const std::string& name) {
    sqlite3* db = nullptr;
    sqlite3_open(opts.db_path.c_str(), &db);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, ("PRAGMA " + name).c_str(), -1, &stmt, nullptr);
    std::string result;
    if (sqlite3_step(stmt) == SQLITE_ROW)
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return result;
  }
};

// Rows come in table order; the tests compare them by peer.
std::vector<stored_cursor> sorted(std::vector<stored_cursor> rows) {
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.peer < b.peer; });
  return rows;
}

write_batch batch(std::initializer_list<write_op> ops) {
  return write_batch{std::vector<write_op>(ops)};
}

write_op upsert(const std::string& peer, const std::string& id) {
  return write_op{peer, id, 1700000000000, false};
}

write_op erase(const std::string& peer) {
  return write_op{peer, {}, 0, true};
}

// Commits `b` in a child process that then exits without a destructor,
// close or checkpoint, as a crash would; returns whether the commit worked.
bool crash_after_write(const storage_options& opts, const write_batch& b) {
  auto pid = fork();
  if (pid == 0) {
    auto db = database::open(opts);
    _exit(db && db->write(b) ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(sqlite_database_tests, fixture)

CAF_TEST(a new file gets the schema WAL mode and the schema version) {
  auto db = open();
  CAF_CHECK(db.load()->empty());
  CAF_CHECK_EQUAL(pragma("journal_mode"), "wal");
  CAF_CHECK_EQUAL(pragma("user_version"), "2");
  CAF_CHECK(test::read_rows(opts.db_path).empty());
}

CAF_TEST(rows persist across close and reopen) {
  {
    auto db = open();
    CAF_CHECK_EQUAL(
        unbox(db.write(batch({upsert("b", "2-0"), upsert("a", "1-0")}))), 2u);
    CAF_CHECK(!db.close());
  }
  auto db = open();
  auto loaded = db.load();
  CAF_REQUIRE(loaded);
  auto rows = sorted(*loaded);
  CAF_REQUIRE_EQUAL(rows.size(), 2u);
  CAF_CHECK_EQUAL(rows[0].peer, "a");
  CAF_CHECK_EQUAL(rows[1].stream_id, "2-0");
  CAF_CHECK_EQUAL(rows[1].updated_at, 1700000000000);
}

CAF_TEST(a page is the rows after a peer in byte order up to the limit) {
  auto db = open();
  // Inserted out of order; byte order puts upper case and digits before
  // lower case.
  CAF_REQUIRE(
      db.write(batch({upsert("uk.node-2", "2-0"), upsert("de.node-1", "1-0"),
                      upsert("Zed", "3-0"), upsert("uk.node-10", "4-0"),
                      upsert("9.host", "5-0")})));
  auto peers = [&](const std::string& after, uint32_t limit) {
    auto rows = db.page(after, limit);
    CAF_REQUIRE(rows);
    std::vector<std::string> result;
    for (auto& row : *rows)
      result.push_back(row.peer);
    return result;
  };
  using strings = std::vector<std::string>;
  CAF_CHECK_EQUAL(peers("", 3), (strings{"9.host", "Zed", "de.node-1"}));
  CAF_CHECK_EQUAL(peers("de.node-1", 10), (strings{"uk.node-10", "uk.node-2"}));
  CAF_CHECK_EQUAL(peers("uk.node-2", 10), strings{});
  auto rows = db.page("Zed", 1);
  CAF_REQUIRE(rows);
  CAF_REQUIRE_EQUAL(rows->size(), 1u);
  CAF_CHECK_EQUAL((*rows)[0].stream_id, "1-0");
  CAF_CHECK_EQUAL((*rows)[0].updated_at, 1700000000000);
  // The cached statement is reset: the same read again, then a write.
  CAF_CHECK_EQUAL(peers("", 1), strings{"9.host"});
  CAF_CHECK(db.write(batch({upsert("0.first", "6-0")})));
  CAF_CHECK_EQUAL(peers("", 1), strings{"0.first"});
  CAF_CHECK(!db.close());
}

CAF_TEST(a batch upserts and deletes in one transaction) {
  auto db = open();
  db.write(batch({upsert("a", "1-0"), upsert("b", "1-0")}));
  CAF_CHECK_EQUAL(unbox(db.write(batch({erase("a"), upsert("b", "2-0"),
                                        upsert("c", "3-0"), erase("zz")}))),
                  4u);
  auto rows = test::read_rows(opts.db_path);
  CAF_CHECK_EQUAL(rows.count("a"), 0u);
  CAF_CHECK_EQUAL(rows.at("b"), "2-0");
  CAF_CHECK_EQUAL(rows.at("c"), "3-0");
}

CAF_TEST(committed rows survive a process that dies without closing) {
  CAF_REQUIRE(
      crash_after_write(opts, batch({upsert("a", "5-5"), upsert("b", "6-6")})));
  CAF_CHECK(std::filesystem::exists(opts.db_path + "-wal"));
  auto db = open();
  auto rows = db.load();
  CAF_REQUIRE(rows);
  CAF_REQUIRE_EQUAL(rows->size(), 2u);
  CAF_CHECK_EQUAL((*rows)[0].stream_id, "5-5");
  CAF_CHECK_EQUAL(pragma("integrity_check"), "ok");
}

CAF_TEST(a WAL without its shm file is recovered not reset) {
  CAF_REQUIRE(crash_after_write(opts, batch({upsert("a", "7-7")})));
  CAF_REQUIRE(std::filesystem::file_size(opts.db_path + "-wal") > 0);
  std::filesystem::remove(opts.db_path + "-shm");
  auto db = open();
  auto rows = db.load();
  CAF_REQUIRE(rows);
  CAF_REQUIRE_EQUAL(rows->size(), 1u);
  CAF_CHECK_EQUAL((*rows)[0].stream_id, "7-7");
}

CAF_TEST(a database of the Rust store opens and keeps its rows) {
  exec(
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE cursors (peer_id TEXT PRIMARY KEY, stream_id TEXT NOT "
      "NULL, updated_at INTEGER NOT NULL);"
      "INSERT INTO cursors VALUES ('uk.node.manchester-1', "
      "'1234567890123-0', 1700000000000);"
      "INSERT INTO cursors VALUES ('uk.node.leeds-2', '99-7', 1700000000001);");
  CAF_CHECK_EQUAL(pragma("user_version"), "0");
  auto db = open();
  auto loaded = db.load();
  CAF_REQUIRE(loaded);
  auto rows = sorted(*loaded);
  CAF_REQUIRE_EQUAL(rows.size(), 2u);
  CAF_CHECK_EQUAL(rows[0].peer, "uk.node.leeds-2");
  CAF_CHECK_EQUAL(rows[1].stream_id, "1234567890123-0");
  CAF_CHECK_EQUAL(pragma("user_version"), "2");
  CAF_CHECK(db.write(batch({upsert("uk.node.leeds-2", "100-0")})));
  CAF_CHECK_EQUAL(test::row(opts.db_path, "uk.node.leeds-2"), "100-0");
}

CAF_TEST(a newer schema version is refused and the file left untouched) {
  exec("CREATE TABLE cursors (peer_id TEXT PRIMARY KEY, stream_id TEXT NOT "
       "NULL, updated_at INTEGER NOT NULL); PRAGMA user_version = 3;");
  auto before = test::read_file(opts.db_path);
  auto db = database::open(opts);
  CAF_REQUIRE(!db);
  CAF_CHECK(is(db.error(), errc::incompatible_schema));
  CAF_CHECK(render(db.error()).find("version 3") != std::string::npos);
  CAF_CHECK(test::read_file(opts.db_path) == before);
}

CAF_TEST(a cursors table without the reference columns is refused) {
  exec("CREATE TABLE cursors (peer TEXT, position TEXT);");
  auto before = test::read_file(opts.db_path);
  auto db = database::open(opts);
  CAF_REQUIRE(!db);
  CAF_CHECK(is(db.error(), errc::incompatible_schema));
  CAF_CHECK(render(db.error()).find("peer_id") != std::string::npos);
  CAF_CHECK(test::read_file(opts.db_path) == before);
}

CAF_TEST(a file that is not a database is refused and left byte identical) {
  std::string garbage;
  for (int i = 0; i < 8192; ++i)
    garbage += static_cast<char>((i * 7919) % 251);
  test::write_file(opts.db_path, garbage);
  auto db = database::open(opts);
  CAF_REQUIRE(!db);
  CAF_CHECK(is(db.error(), errc::not_a_database));
  CAF_CHECK(render(db.error()).find(opts.db_path) != std::string::npos);
  CAF_CHECK(test::read_file(opts.db_path) == garbage);
  CAF_CHECK(!std::filesystem::exists(opts.db_path + "-wal"));
  CAF_CHECK(!std::filesystem::exists(opts.db_path + "-journal"));
}

CAF_TEST(a missing directory is refused with cannot_open) {
  opts.db_path = dir.file("missing/dir/cursors.db");
  auto db = database::open(opts);
  CAF_REQUIRE(!db);
  CAF_CHECK(is(db.error(), errc::cannot_open));
  CAF_CHECK(!std::filesystem::exists(dir.file("missing")));
}

CAF_TEST(a read only file is refused with read_only) {
  { open(); }
  CAF_CHECK(refused_as_nobody(0444, errc::read_only));
}

CAF_TEST(an unreadable file is refused with cannot_open and left untouched) {
  { open(); }
  CAF_CHECK(refused_as_nobody(0000, errc::cannot_open));
}

CAF_TEST(the path is a plain path even with URI characters) {
  opts.db_path = dir.file("odd?name#with%20uri&chars.db");
  {
    auto db = open();
    db.write(batch({upsert("a", "1-0")}));
  }
  CAF_CHECK(std::filesystem::exists(opts.db_path));
  CAF_CHECK_EQUAL(test::row(opts.db_path, "a"), "1-0");
}

CAF_TEST(busy and locked are classified by their primary code) {
  for (int rc : {5, 6, 261, 517, 773, 262, 518})
    CHECK_MSG(sqlite::is_busy(rc), rc);
  for (int rc : {0, 1, 8, 10, 11, 13, 14, 19, 26, 266, 1555, 2067})
    CHECK_MSG(!sqlite::is_busy(rc), rc);
  CAF_CHECK(is(sqlite::to_error(517, nullptr, "x"), errc::busy));
  CAF_CHECK(is(sqlite::to_error(19, nullptr, "x"), errc::storage_error));
  CAF_CHECK(is(sqlite::to_error(10, nullptr, "x"), errc::storage_error));
  CAF_CHECK(is(sqlite::to_error(26, nullptr, "x"), errc::not_a_database));
  CAF_CHECK(is(sqlite::to_error(14, nullptr, "x"), errc::cannot_open));
  CAF_CHECK(is(sqlite::to_error(8, nullptr, "x"), errc::read_only));
  auto text = render(sqlite::to_error(13, nullptr, "write"));
  CAF_CHECK(text.find("13") != std::string::npos);
  CAF_CHECK(text.find("full") != std::string::npos);
}

CAF_TEST(a second connection holding an exclusive lock makes writes busy) {
  auto db = open();
  CAF_REQUIRE(db.write(batch({upsert("a", "1-0")})));
  sqlite3* other = nullptr;
  sqlite3_open(opts.db_path.c_str(), &other);
  CAF_REQUIRE_EQUAL(
      sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr),
      SQLITE_OK);
  auto res = db.write(batch({upsert("a", "2-0")}));
  CAF_REQUIRE(!res);
  CAF_CHECK(is(res.error(), errc::busy));
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  // The failed attempt left no transaction open: the retry commits.
  CAF_CHECK_EQUAL(unbox(db.write(batch({upsert("a", "2-0")}))), 1u);
  sqlite3_close(other);
  CAF_CHECK_EQUAL(test::row(opts.db_path, "a"), "2-0");
}

CAF_TEST(a checkpoint blocked by a reader reports busy and then completes) {
  auto db = open();
  db.write(batch({upsert("a", "1-0")}));
  sqlite3* reader = nullptr;
  sqlite3_open(opts.db_path.c_str(), &reader);
  sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM cursors;", nullptr, nullptr,
               nullptr);
  db.write(batch({upsert("a", "2-0")}));
  auto info = db.checkpoint();
  CAF_REQUIRE(info);
  CAF_CHECK(!info->complete());
  sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(reader);
  info = db.checkpoint();
  CAF_REQUIRE(info);
  CAF_CHECK(info->complete());
  CAF_CHECK_EQUAL(std::filesystem::file_size(opts.db_path + "-wal"), 0u);
}

CAF_TEST(a full database fails the whole batch and keeps earlier rows) {
  opts.max_page_count = 8;
  auto db = open();
  CAF_REQUIRE(db.write(batch({upsert("first", "1-0")})));
  write_batch big;
  for (int i = 0; i < 2000; ++i)
    big.ops.push_back(
        upsert("peer-" + std::string(100, 'x') + std::to_string(i), "1-0"));
  auto res = db.write(big);
  CAF_REQUIRE(!res);
  CAF_CHECK(is(res.error(), errc::storage_error));
  CHECK_MSG(render(res.error()).find("13") != std::string::npos,
            render(res.error()));
  auto rows = test::read_rows(opts.db_path);
  CAF_CHECK_EQUAL(rows.size(), 1u); // nothing of the failed batch
  // The connection is usable afterwards.
  CAF_CHECK(db.write(batch({upsert("first", "2-0")})));
}

CAF_TEST(rows that are not text are reported not dropped) {
  exec("CREATE TABLE cursors (peer_id TEXT PRIMARY KEY, stream_id TEXT NOT "
       "NULL, updated_at INTEGER NOT NULL);"
       "INSERT INTO cursors VALUES (NULL, '1-0', 1);");
  // The migration to v2 meets the row first (its key may not be NULL).
  auto db = database::open(opts);
  CAF_REQUIRE(!db);
  CAF_CHECK(is(db.error(), errc::corrupt_row));
}

CAF_TEST(rows of a v2 file that are not text are reported not dropped) {
  { open(); }
  exec("INSERT INTO cursors VALUES ('a', x'00ff', 1);");
  auto db = open();
  auto rows = db.load();
  CAF_REQUIRE(!rows);
  CAF_CHECK(is(rows.error(), errc::corrupt_row));
  // A page read meets it too, and the statement stays usable.
  auto page = db.page("", 10);
  CAF_REQUIRE(!page);
  CAF_CHECK(is(page.error(), errc::corrupt_row));
  page = db.page("a", 10);
  CAF_REQUIRE(page);
  CAF_CHECK(page->empty());
}

CAF_TEST(a periodic checkpoint moves commits into the main file) {
  // Only the main file is copied: what the copy holds was checkpointed.
  auto main_file_rows = [&] {
    auto copy = dir.file("copy.db");
    std::filesystem::remove(copy);
    std::filesystem::copy_file(opts.db_path, copy);
    return test::read_rows(copy);
  };
  opts.checkpoint_every = 3;
  auto db = open();
  CAF_REQUIRE(db.checkpoint()); // the schema into the main file; count reset
  for (int i = 1; i <= 2; ++i) {
    CAF_REQUIRE(db.write(batch({upsert("p" + std::to_string(i), "1-0")})));
    db.after_write();
  }
  CAF_CHECK_EQUAL(main_file_rows().size(), 0u); // still only in the WAL
  CAF_REQUIRE(db.write(batch({upsert("p3", "1-0")})));
  db.after_write(); // the third write: checkpoint
  CAF_CHECK_EQUAL(main_file_rows().size(), 3u);
}

CAF_TEST(without periodic checkpoints SQLite checkpoints on its own) {
  opts.checkpoint_every = 0;
  auto db = open();
  CAF_REQUIRE(db.checkpoint());
  for (int i = 1; i <= 5; ++i) {
    CAF_REQUIRE(db.write(batch({upsert("p" + std::to_string(i), "1-0")})));
    db.after_write();
  }
  auto copy = dir.file("copy.db");
  std::filesystem::copy_file(opts.db_path, copy);
  // Five small commits stay far below the 1000-page automatic threshold.
  CAF_CHECK_EQUAL(test::read_rows(copy).size(), 0u);
}

// Issue 12, defect 4: the pragma values were pasted into SQL unchecked.
CAF_TEST(pragma values outside their lists are refused before any SQL runs) {
  auto check = [&](auto mutate, const char* option) {
    auto copy = opts;
    mutate(copy);
    auto db = database::open(copy);
    CAF_CHECK(!db);
    if (!db) {
      CAF_CHECK(is(db.error(), errc::invalid_option));
      CHECK_MSG(render(db.error()).find(option) != std::string::npos,
                render(db.error()));
    }
    CHECK_MSG(!std::filesystem::exists(opts.db_path),
              option << ": the file was created");
    std::error_code ec;
    std::filesystem::remove(opts.db_path, ec);
  };
  check([](auto& o) { o.synchronous = "normal; CREATE TABLE injected(x)"; },
        "synchronous");
  check([](auto& o) { o.journal_mode = "wal; CREATE TABLE injected(x)"; },
        "journal-mode");
  check([](auto& o) { o.journal_mode = "memory"; }, "journal-mode");
  check([](auto& o) { o.synchronous = ""; }, "synchronous");
}

CAF_TEST(the journal mode and synchronous level are configurable) {
  opts.journal_mode = "delete";
  opts.synchronous = "full";
  auto db = open();
  CAF_CHECK_EQUAL(pragma("journal_mode"), "delete");
  auto info = db.checkpoint();
  CAF_REQUIRE(info);
  CAF_CHECK(info->complete()); // -1 of -1: nothing to checkpoint
}

CAF_TEST(a database deleted under the store fails the write) {
  auto db = open();
  CAF_REQUIRE(db.write(batch({upsert("uk.node.leeds-2", "1-0")})));
  std::filesystem::remove(opts.db_path);
  auto res = db.write(batch({upsert("uk.node.leeds-2", "2-0")}));
  CAF_REQUIRE(!res);
  CAF_CHECK(is(res.error(), errc::storage_error));
  CHECK_MSG(render(res.error()).find("deleted, moved or replaced")
                != std::string::npos,
            render(res.error()));
  CAF_CHECK(render(res.error()).find("cursors.db") != std::string::npos);
}

CAF_TEST(a database replaced by a rename fails the write) {
  auto db = open();
  CAF_REQUIRE(db.write(batch({upsert("uk.node.leeds-2", "1-0")})));
  // Another database moved over the path: the store must not write into
  // the old inode and report success.
  auto other = dir.file("other.db");
  {
    storage_options o = opts;
    o.db_path = other;
    auto db2 = database::open(o);
    CAF_REQUIRE(db2);
    CAF_REQUIRE(db2->write(batch({upsert("de.node.berlin-1", "7-0")})));
    CAF_REQUIRE(!db2->close());
  }
  std::filesystem::rename(other, opts.db_path);
  auto res = db.write(batch({upsert("uk.node.leeds-2", "2-0")}));
  CAF_REQUIRE(!res);
  CAF_CHECK(is(res.error(), errc::storage_error));
  CHECK_MSG(render(res.error()).find("deleted, moved or replaced")
                != std::string::npos,
            render(res.error()));
  // The old connection's -wal still carries the path's name: the failed
  // write emptied it, so a reader of the new file sees the new file only.
  auto rows = test::read_rows(opts.db_path);
  CAF_CHECK_EQUAL(rows.size(), 1u);
  CAF_CHECK_EQUAL(test::row(opts.db_path, "de.node.berlin-1"), "7-0");
}

CAF_TEST(a database renamed away fails the write) {
  auto db = open();
  CAF_REQUIRE(db.write(batch({upsert("a", "1-0")})));
  std::filesystem::rename(opts.db_path, dir.file("moved.db"));
  auto res = db.write(batch({upsert("a", "2-0")}));
  CAF_REQUIRE(!res);
  CAF_CHECK(is(res.error(), errc::storage_error));
}

CAF_TEST(a sqlite file of another application is refused untouched) {
  exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);"
       "INSERT INTO invoices VALUES (1, 9.5);");
  auto before = test::read_file(opts.db_path);
  auto db = database::open(opts);
  CAF_REQUIRE(!db);
  CAF_CHECK(is(db.error(), errc::incompatible_schema));
  auto text = render(db.error());
  CHECK_MSG(text.find("another application") != std::string::npos, text);
  CHECK_MSG(text.find("invoices") != std::string::npos, text);
  CAF_CHECK(test::read_file(opts.db_path) == before);
  CAF_CHECK(!std::filesystem::exists(opts.db_path + "-wal"));
  CAF_CHECK_EQUAL(pragma("user_version"), "0");
  CAF_CHECK_EQUAL(pragma("journal_mode"), "delete");
}

CAF_TEST(
    an empty sqlite file with a version of another application is refused) {
  exec("PRAGMA user_version = 1;");
  auto db = database::open(opts);
  CAF_REQUIRE(!db);
  CAF_CHECK(is(db.error(), errc::incompatible_schema));
  CAF_CHECK(render(db.error()).find("user_version") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
