#pragma once

// A TCP endpoint as the tailer's options spell it: "host:port", with IPv6
// addresses in brackets ("[::1]:6379").

#include <cstdint>
#include <string>
#include <string_view>

namespace cursor::tailer {

struct endpoint {
  std::string host;
  uint16_t port = 0;

  /// "host:port", brackets around an IPv6 address.
  std::string to_string() const;

  friend bool operator==(const endpoint& a, const endpoint& b) {
    return a.host == b.host && a.port == b.port;
  }
};

/// Parses "host:port" or "[v6-address]:port": a non-empty host without
/// blanks or control characters and a decimal port from 1 to 65535. Returns
/// an empty string on success, otherwise the reason ("missing ':port'").
std::string parse_endpoint(std::string_view text, endpoint& out);

} // namespace cursor::tailer
