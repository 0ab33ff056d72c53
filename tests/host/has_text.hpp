#pragma once

// A check that one text holds another, which names both when it does not.

#include <string>

#include <caf/test/unit_test.hpp>

namespace test_host {

/// True when `text` contains `part`; otherwise logs both (a CAF_CHECK on
/// the result then fails with them in the log) and returns false.
inline bool has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos)
    return true;
  CAF_MESSAGE("'" << part << "' not in '" << text << "'");
  return false;
}

} // namespace test_host
