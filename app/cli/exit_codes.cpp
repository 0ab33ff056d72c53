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
    // The node's front got no answer from its store in time, or its store
    // is gone: like a node that does not answer, the outcome is unknown.
    case errc::timeout:
    case errc::unavailable:
      return exit_unreachable;
    default:
      return exit_storage;
  }
}

} // namespace cursor::cli
