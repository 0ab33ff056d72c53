#pragma once

// A TCP endpoint as the options spell it: "host:port", with IPv6 addresses
// in brackets ("[::1]:6379"). The tailer's sources, target and node; the
// HTTP endpoint's address (`<group>.http-address`).

#include <cstdint>
#include <string>
#include <string_view>

namespace cursor::app {

struct endpoint {
  std::string host;
  uint16_t port = 0;

  /// "host:port", brackets around an IPv6 address.
  std::string to_string() const;

  friend bool operator==(const endpoint& a, const endpoint& b) {
    return a.host == b.host && a.port == b.port;
  }
};

/// Which ports parse_endpoint() accepts.
enum class port_rule {
  /// 1 to 65535: an address to connect to.
  nonzero,
  /// 0 to 65535, 0 meaning any free port: an address to listen on.
  any_allowed,
};

/// Parses "host:port" or "[v6-address]:port": a non-empty host without
/// blanks or control characters and a decimal port (see port_rule). Returns
/// an empty string on success, otherwise the reason ("missing ':port'").
std::string parse_endpoint(std::string_view text, endpoint& out,
                           port_rule ports = port_rule::nonzero);

} // namespace cursor::app
