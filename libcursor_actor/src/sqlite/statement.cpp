#include "sqlite/statement.hpp"

#include <sqlite3.h>

#include "sqlite/result_code.hpp"

namespace cursor::sqlite {

void statement::finalizer::operator()(sqlite3_stmt* stmt) const {
  sqlite3_finalize(stmt);
}

statement::statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {
  // nop
}

caf::error statement::bind(int index, std::string_view text) {
  // SQLITE_STATIC: no copy of every key and stream ID of a batch; the
  // caller keeps the text alive until run() or reset() (see the header).
  auto rc = sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(),
                                SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK)
    return to_error(rc, db_, "bind");
  return caf::none;
}

caf::error statement::bind(int index, int64_t value) {
  auto rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK)
    return to_error(rc, db_, "bind");
  return caf::none;
}

int statement::step() {
  return sqlite3_step(stmt_.get());
}

caf::error statement::run(std::string_view what) {
  auto rc = step();
  caf::error result;
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    result = to_error(rc, db_, what);
  reset();
  return result;
}

void statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

int statement::column_type(int column) const {
  return sqlite3_column_type(stmt_.get(), column);
}

std::string_view statement::column_text(int column) const {
  auto ptr = sqlite3_column_text(stmt_.get(), column);
  auto len = sqlite3_column_bytes(stmt_.get(), column);
  if (ptr == nullptr)
    return {};
  return {reinterpret_cast<const char*>(ptr), static_cast<size_t>(len)};
}

int64_t statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

} // namespace cursor::sqlite
