#pragma once

// JSON as cursorctl prints it (nlohmann-json): one value per line.

#include <string>

#include <nlohmann/json.hpp>

namespace cursor::cli {

/// Keeps the documented field order ({"peer":…,"stream_id":…}); nlohmann's
/// default object sorts keys.
using json = nlohmann::ordered_json;

/// `x` on one line. Peer IDs reach us validated (UTF-8); last_error may carry
/// any byte from SQLite: what is not UTF-8 is replaced rather than failing
/// the whole output.
inline std::string dump(const json& x) {
  return x.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace cursor::cli
