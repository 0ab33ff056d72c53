#define CAF_SUITE peer_id

#include "cursor_actor/peer_id.hpp"

#include "test.hpp"

namespace {

bool accepted(const std::string& peer) {
  return !cursor::validate_peer_id(peer);
}

bool refused(const std::string& peer) {
  return cursor::is(cursor::validate_peer_id(peer),
                    cursor::errc::invalid_peer_id);
}

} // namespace

CAF_TEST(ordinary node names are accepted) {
  CAF_CHECK(accepted("uk.node.manchester-1"));
  CAF_CHECK(accepted("a"));
  CAF_CHECK(accepted("peer with spaces"));
  CAF_CHECK(accepted("zürich-ノード"));
  CAF_CHECK(accepted(std::string(255, 'x')));
}

CAF_TEST(empty and oversized peer IDs are refused) {
  CAF_CHECK(refused(""));
  CAF_CHECK(refused(std::string(256, 'x')));
  CAF_CHECK(refused(std::string(100000, 'x')));
}

CAF_TEST(control characters and NUL are refused) {
  CAF_CHECK(refused(std::string("a\0b", 3)));
  CAF_CHECK(refused("a\nb"));
  CAF_CHECK(refused("a\rb"));
  CAF_CHECK(refused("tab\t"));
  CAF_CHECK(refused("\x1b[31mred"));
  CAF_CHECK(refused("del\x7f"));
  CAF_CHECK(refused("c1\xc2\x85")); // U+0085 NEXT LINE
}

CAF_TEST(invalid UTF - 8 is refused) {
  CAF_CHECK(refused("\xff"));
  CAF_CHECK(refused("\xc3"));             // truncated
  CAF_CHECK(refused("\xc0\xaf"));         // overlong '/'
  CAF_CHECK(refused("\xed\xa0\x80"));     // surrogate
  CAF_CHECK(refused("\xf4\x90\x80\x80")); // beyond U+10FFFF
}
