#include "sqlite/result_code.hpp"

#include <cstring>
#include <string>

#include <sqlite3.h>
#include <sys/resource.h>

#include "cursor_actor/error.hpp"

namespace cursor::sqlite {

bool is_busy(int rc) {
  auto primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

caf::error to_error(int rc, sqlite3* db, std::string_view what) {
  auto code = errc::storage_error;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = errc::busy;
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      code = errc::cannot_open;
      break;
    case SQLITE_NOTADB:
      code = errc::not_a_database;
      break;
    case SQLITE_READONLY:
      code = errc::read_only;
      break;
    default:
      break;
  }
  std::string text{what};
  text += ": SQLite error ";
  text += std::to_string(rc);
  text += " (";
  text += sqlite3_errstr(rc);
  text += ")";
  if (db != nullptr) {
    // The connection's message is only about this call while its code
    // matches; otherwise it describes an earlier statement.
    if (sqlite3_extended_errcode(db) == rc) {
      text += ": ";
      text += sqlite3_errmsg(db);
      // The system's reason for an I/O error (ENOSPC, EIO...), when SQLite
      // kept it, tells an operator what to fix.
      auto primary = rc & 0xff;
      if (primary == SQLITE_IOERR || primary == SQLITE_FULL
          || primary == SQLITE_CANTOPEN)
        if (auto sys = sqlite3_system_errno(db); sys != 0) {
          text += " (";
          text += std::strerror(sys);
          text += ")";
        }
    }
  }
  // A write beyond the file-size limit fails with EFBIG (SIGXFSZ is ignored
  // by the node and the tailer), which SQLite reports as a plain I/O error:
  // name the limit, the likely cause.
  if ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL) {
    struct rlimit lim {};
    if (::getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
      text += "; note: the process's file-size limit (ulimit -f, "
              "LimitFSIZE=) is "
              + std::to_string(static_cast<unsigned long long>(lim.rlim_cur))
              + " bytes (File too large)";
  }
  return caf::make_error(code, std::move(text));
}

} // namespace cursor::sqlite
