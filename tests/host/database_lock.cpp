#define CAF_SUITE host_database_lock

#include "common/database_lock.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <caf/test/unit_test.hpp>

#include "temp_dir.hpp"

using namespace cursor::app;
using test_host::temp_dir;

CAF_TEST(a missing database file is created and found empty) {
  temp_dir dir;
  auto db = dir.path("c.db");
  std::string error;
  auto lock = database_lock::acquire(db, error);
  CAF_REQUIRE(lock.has_value());
  CAF_CHECK_EQUAL(error, "");
  CAF_CHECK(lock->found_empty());
  CAF_CHECK(std::filesystem::exists(db));
}

CAF_TEST(an empty file left by an earlier start counts as new) {
  // The lock created it, then the process died before SQLite wrote to it:
  // it holds no database, the next start creates one.
  temp_dir dir;
  auto db = dir.path("c.db");
  std::ofstream{db}.close();
  std::string error;
  auto lock = database_lock::acquire(db, error);
  CAF_REQUIRE(lock.has_value());
  CAF_CHECK(lock->found_empty());
}

CAF_TEST(a file with content is not new and keeps its content) {
  temp_dir dir;
  auto db = dir.path("c.db");
  std::ofstream{db} << "SQLite format 3";
  std::string error;
  auto lock = database_lock::acquire(db, error);
  CAF_REQUIRE(lock.has_value());
  CAF_CHECK(!lock->found_empty());
  CAF_CHECK_EQUAL(std::filesystem::file_size(db), 15u);
  // Moving the lock keeps what it found.
  auto moved = std::move(*lock);
  CAF_CHECK(!moved.found_empty());
}

CAF_TEST(
    a second lock on the same file is refused until the first is released) {
  temp_dir dir;
  auto db = dir.path("c.db");
  std::string error;
  auto first = database_lock::acquire(db, error);
  CAF_REQUIRE(first.has_value());
  // flock locks belong to the open file description: a second open in the
  // same process conflicts like another process would.
  auto second = database_lock::acquire(db, error);
  CAF_CHECK(!second.has_value());
  CAF_CHECK(error.find("held by another cursor node or tailer")
            != std::string::npos);
  first->release();
  error.clear();
  auto third = database_lock::acquire(db, error);
  CAF_CHECK(third.has_value());
  // The second start found what the first left: an empty file.
  CAF_CHECK(third->found_empty());
}
