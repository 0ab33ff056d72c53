#include "cli/exit_codes.hpp"

#include <caf/error.hpp>

#include "cursor_actor/error.hpp"

namespace cursor::cli {

int exit_code_for(const caf::error& err) {
  if (!err)
    return exit_ok;
  if (err.category() != caf::atom("cursor"))
    return exit_unreachable;
  switch (static_cast<errc>(err.code())) {
    case errc::invalid_peer_id:
    case errc::invalid_stream_id:
    case errc::regression:
    case errc::conflict:
    case errc::invalid_option:
    case errc::invalid_backup_name:
    case errc::backup_exists:
    case errc::backups_disabled:
      return exit_refused;
    default:
      return exit_storage;
  }
}

} // namespace cursor::cli
