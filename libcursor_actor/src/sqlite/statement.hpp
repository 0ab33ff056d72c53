#pragma once

// RAII for a prepared statement: finalized exactly once, move-only.

#include <cstdint>
#include <memory>
#include <string_view>

#include <caf/error.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace cursor::sqlite {

class statement {
public:
  statement() = default;
  statement(sqlite3* db, sqlite3_stmt* stmt);

  /// Binds text to the 1-based parameter `index` without copying it: `text`
  /// must stay valid until the statement is reset (`run` and `reset` do
  /// that, and clear the bindings).
  caf::error bind(int index, std::string_view text);
  caf::error bind(int index, int64_t value);

  /// Steps once; returns the raw result code (SQLITE_ROW, SQLITE_DONE or an
  /// error code).
  int step();

  /// Steps to completion, expecting no row; resets the statement and clears
  /// its bindings either way, so a cached statement is ready for reuse.
  caf::error run(std::string_view what);

  /// Resets the statement and clears its bindings.
  void reset();

  /// Column accessors for the current row.
  int column_type(int column) const;
  std::string_view column_text(int column) const;
  int64_t column_int64(int column) const;

  sqlite3_stmt* get() const { return stmt_.get(); }

private:
  struct finalizer {
    void operator()(sqlite3_stmt* stmt) const;
  };
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, finalizer> stmt_;
};

} // namespace cursor::sqlite
