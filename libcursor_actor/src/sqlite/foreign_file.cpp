#include "sqlite/foreign_file.hpp"

#include <string>

#include <sqlite3.h>

#include "cursor_actor/error.hpp"
#include "sqlite/result_code.hpp"
#include "sqlite/statement.hpp"

namespace cursor::sqlite {

caf::error check_not_foreign(sqlite3* db, int64_t version) {
  sqlite3_stmt* raw = nullptr;
  const char* sql = "SELECT type, name FROM sqlite_master "
                    "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                    "ORDER BY type DESC, name";
  auto rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK)
    return to_error(rc, db, "read schema");
  statement stmt{db, raw};
  std::string found;
  int count = 0;
  while ((rc = stmt.step()) == SQLITE_ROW) {
    if (++count <= 5)
      found += std::string{found.empty() ? "" : ", "}
               + std::string{stmt.column_text(0)} + " '"
               + std::string{stmt.column_text(1)} + "'";
  }
  if (rc != SQLITE_DONE)
    return to_error(rc, db, "read schema");
  if (count > 5)
    found += " and " + std::to_string(count - 5) + " more";
  int64_t app_id = 0;
  sqlite3_stmt* raw_id = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &raw_id, nullptr)
      == SQLITE_OK) {
    statement id_stmt{db, raw_id};
    if (id_stmt.step() == SQLITE_ROW)
      app_id = id_stmt.column_int64(0);
  }
  std::string reason;
  if (count > 0)
    reason = "it holds " + found;
  else if (version != 0)
    reason = "its user_version is " + std::to_string(version);
  else if (app_id != 0)
    reason = "its application_id is " + std::to_string(app_id);
  if (reason.empty())
    return caf::none;
  return caf::make_error(errc::incompatible_schema,
                         "the file is a SQLite database of another "
                         "application (no 'cursors' table; "
                             + reason + "); it was not modified");
}

} // namespace cursor::sqlite
