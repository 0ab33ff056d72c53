#include "sqlite/file_identity.hpp"

#include <string>

#include <sqlite3.h>

#include "cursor_actor/error.hpp"

namespace cursor::sqlite {

caf::error check_not_moved(sqlite3* db) {
  int moved = 0;
  auto rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_HAS_MOVED, &moved);
  const char* name = sqlite3_db_filename(db, "main");
  std::string path = name != nullptr ? name : "?";
  if (rc != SQLITE_OK)
    return caf::make_error(errc::storage_error,
                           "cannot tell whether the database file '" + path
                               + "' is still in place (SQLite code "
                               + std::to_string(rc) + ")");
  if (moved != 0)
    return caf::make_error(
        errc::storage_error,
        "the database file '" + path
            + "' was deleted, moved or replaced since the store opened it: "
              "nothing is written to the old file; restart the store on the "
              "intended file");
  return caf::none;
}

void forget_moved_wal(sqlite3* db) {
  sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                            nullptr);
}

} // namespace cursor::sqlite
