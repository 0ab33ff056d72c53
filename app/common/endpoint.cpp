#include "common/endpoint.hpp"

namespace cursor::app {

std::string endpoint::to_string() const {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string parse_endpoint(std::string_view text, endpoint& out,
                           port_rule ports) {
  const char* bad_port = ports == port_rule::nonzero
                             ? "the port must be a number from 1 to 65535"
                             : "the port must be a number from 0 to 65535";
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return "missing ']' after the IPv6 address";
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':')
      return "missing ':port' after ']'";
    port = rest.substr(1);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return "missing ':port'";
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return "an IPv6 address needs brackets: [address]:port";
  }
  if (host.empty())
    return "empty host";
  for (unsigned char c : host)
    if (c <= ' ' || c == 0x7f)
      return "blank or control character in the host";
  if (port.empty() || port.size() > 5)
    return bad_port;
  uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9')
      return bad_port;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if ((value == 0 && ports == port_rule::nonzero) || value > 65535)
    return bad_port;
  out.host = std::string{host};
  out.port = static_cast<uint16_t>(value);
  return {};
}

} // namespace cursor::app
