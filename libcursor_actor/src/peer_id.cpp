#include "cursor_actor/peer_id.hpp"

#include <cstring>
#include <string>

#include "cursor_actor/error.hpp"

namespace cursor {

namespace {

caf::error invalid(const char* reason) {
  return caf::make_error(errc::invalid_peer_id, std::string{reason});
}

// Returns the length of the UTF-8 sequence starting at `s[i]` and stores its
// code point, or returns 0 for an invalid sequence (overlong, surrogate, out
// of range or truncated).
size_t decode_utf8(std::string_view s, size_t i, uint32_t& cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  auto b0 = byte(i);
  size_t len = 0;
  uint32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xe0) == 0xc0) {
    len = 2;
    cp = b0 & 0x1f;
    min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3;
    cp = b0 & 0x0f;
    min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size())
    return 0;
  for (size_t k = 1; k < len; ++k) {
    auto b = byte(i + k);
    if ((b & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

// The fast path: printable ASCII, 1 to 255 bytes, which is valid UTF-8
// without control characters; everything else takes the full check below,
// which decides and words the errors. Eight bytes at a time: a byte below
// 0x20 sets its high bit in (x - 0x20..) & ~x, a byte from 0x7f up in
// (x + 0x01..) | x. Carries and borrows can only add reports next to a byte
// that is reported already.
bool plain_peer_id(std::string_view peer) {
  auto n = peer.size();
  if (n == 0 || n > max_peer_id_size)
    return false;
  constexpr uint64_t ones = 0x0101010101010101ull;
  constexpr uint64_t highs = 0x8080808080808080ull;
  uint64_t bad = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    std::memcpy(&x, peer.data() + i, 8);
    bad |= ((x - ones * 0x20) & ~x) | (x + ones) | x;
  }
  bad &= highs;
  for (; i < n; ++i)
    bad |= static_cast<unsigned char>(peer[i] - 0x20) > 0x7e - 0x20;
  return bad == 0;
}

} // namespace

caf::error validate_peer_id(std::string_view peer) {
  if (plain_peer_id(peer))
    return caf::none;
  if (peer.empty())
    return invalid("peer ID is empty");
  if (peer.size() > max_peer_id_size)
    return invalid("peer ID is longer than 255 bytes");
  for (size_t i = 0; i < peer.size();) {
    uint32_t cp = 0;
    auto len = decode_utf8(peer, i, cp);
    if (len == 0)
      return invalid("peer ID is not valid UTF-8");
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
      return invalid("peer ID contains a control character");
    i += len;
  }
  return caf::none;
}

} // namespace cursor
