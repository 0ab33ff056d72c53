#define CAF_SUITE tailer_endpoint

#include "tailer/endpoint.hpp"

#include <caf/test/unit_test.hpp>

using namespace cursor::tailer;
using cursor::app::port_rule;

namespace {

std::string refusal(const char* text) {
  endpoint x;
  return parse_endpoint(text, x);
}

} // namespace

CAF_TEST(host and port parse and render back) {
  endpoint x;
  CAF_CHECK_EQUAL(parse_endpoint("127.0.0.1:6379", x), "");
  CAF_CHECK_EQUAL(x.host, "127.0.0.1");
  CAF_CHECK_EQUAL(x.port, 6379);
  CAF_CHECK_EQUAL(x.to_string(), "127.0.0.1:6379");
  CAF_CHECK_EQUAL(parse_endpoint("redis.example.org:1", x), "");
  CAF_CHECK_EQUAL(x.port, 1);
  CAF_CHECK_EQUAL(parse_endpoint("[::1]:65535", x), "");
  CAF_CHECK_EQUAL(x.host, "::1");
  CAF_CHECK_EQUAL(x.to_string(), "[::1]:65535");
}

CAF_TEST(malformed endpoints are refused with the reason) {
  CAF_CHECK_EQUAL(refusal("localhost"), "missing ':port'");
  CAF_CHECK_EQUAL(refusal(":6379"), "empty host");
  CAF_CHECK_EQUAL(refusal("::1:6379"),
                  "an IPv6 address needs brackets: [address]:port");
  CAF_CHECK_EQUAL(refusal("[::1:6379"), "missing ']' after the IPv6 address");
  CAF_CHECK_EQUAL(refusal("[::1]6379"), "missing ':port' after ']'");
  for (auto text : {"h:0", "h:65536", "h:", "h:-1", "h:12a", "h:999999"})
    CAF_CHECK_EQUAL(refusal(text), "the port must be a number from 1 to 65535");
  CAF_CHECK_EQUAL(refusal("a b:1"), "blank or control character in the host");
}

CAF_TEST(a listening address may ask for any free port) {
  endpoint x;
  CAF_CHECK_EQUAL(parse_endpoint("127.0.0.1:0", x, port_rule::any_allowed), "");
  CAF_CHECK_EQUAL(x.port, 0);
  CAF_CHECK_EQUAL(parse_endpoint("[::]:9464", x, port_rule::any_allowed), "");
  CAF_CHECK_EQUAL(x.to_string(), "[::]:9464");
  CAF_CHECK_EQUAL(parse_endpoint("h:65536", x, port_rule::any_allowed),
                  "the port must be a number from 0 to 65535");
  CAF_CHECK_EQUAL(parse_endpoint(":9464", x, port_rule::any_allowed),
                  "empty host");
}
