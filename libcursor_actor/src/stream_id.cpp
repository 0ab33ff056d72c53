#include "cursor_actor/stream_id.hpp"

#include <string>

#include <caf/error.hpp>

#include "cursor_actor/error.hpp"

namespace cursor {

namespace {

constexpr size_t max_text_size = 41; // 20 digits, '-', 20 digits

// Parses one canonical unsigned 64-bit decimal, the `part` ("ms" or "seq")
// of a stream ID. On failure returns the reason, naming the real fault: an
// empty part, a character that is not a digit, a leading zero, an overflow
// (checked in that order, so "1-0 " is a bad character, not a leading zero).
std::string parse_u64(std::string_view text, const char* part, uint64_t& out) {
  auto in_part
      = [part](std::string what) { return what + " in the " + part + " part"; };
  if (text.empty())
    return std::string{"empty "} + part + " part";
  for (char c : text)
    if (c < '0' || c > '9') {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x7f)
        return in_part("a byte that is not a decimal digit");
      return in_part(std::string{"'"} + c + "' is not a decimal digit");
    }
  if (text.size() > 1 && text[0] == '0')
    return in_part("leading zero");
  uint64_t value = 0;
  for (char c : text) {
    auto digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10)
      return std::string{"the "} + part
             + " part exceeds 64 bits (at most 18446744073709551615)";
    value = value * 10 + digit;
  }
  out = value;
  return {};
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
         || c == '\f';
}

caf::error invalid(std::string_view text, const std::string& reason) {
  std::string shown;
  if (text.size() <= max_text_size)
    shown = std::string{text};
  else
    shown = std::string{text.substr(0, max_text_size)} + "...";
  // Control bytes would garble a log line or a terminal.
  for (auto& c : shown)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return caf::make_error(errc::invalid_stream_id,
                         reason + " in '" + shown
                             + "' (expected 0 or <ms>-<seq>)");
}

// The fast path: `<ms>-<seq>` with ms > 0, both without leading zeros and
// at most 19 digits (so they cannot overflow 64 bits). Returns false for
// anything else, including the valid forms `0` and `0-<seq>`: the full
// parser below decides those and words the errors.
bool parse_plain(std::string_view text, stream_id& out) {
  auto n = text.size();
  if (n < 3 || text[0] == '0')
    return false;
  size_t i = 0;
  uint64_t ms = 0;
  while (i < n && i < 19 && text[i] >= '0' && text[i] <= '9')
    ms = ms * 10 + static_cast<uint64_t>(text[i++] - '0');
  if (i == 0 || i + 1 >= n || text[i] != '-')
    return false;
  auto start = ++i;
  if (text[start] == '0' && n - start > 1)
    return false;
  uint64_t seq = 0;
  while (i < n && i - start < 19 && text[i] >= '0' && text[i] <= '9')
    seq = seq * 10 + static_cast<uint64_t>(text[i++] - '0');
  if (i != n)
    return false;
  out = stream_id{ms, seq};
  return true;
}

} // namespace

caf::expected<stream_id> stream_id::parse(std::string_view text) {
  stream_id fast;
  if (parse_plain(text, fast))
    return fast;
  if (text == "0")
    return stream_id{};
  if (text.empty())
    return invalid(text, "empty stream ID");
  // Blanks first: "1-0 " is a trailing blank, not a bad sequence number.
  if (is_blank(text.front()))
    return invalid(text, text.front() == ' ' ? "leading space"
                                             : "leading whitespace");
  if (is_blank(text.back()))
    return invalid(text, text.back() == ' ' ? "trailing space"
                                            : "trailing whitespace");
  if (text.size() > max_text_size)
    return invalid(text, "too long");
  auto dash = text.find('-');
  if (dash == std::string_view::npos)
    return invalid(text, "missing '-'");
  if (text.find('-', dash + 1) != std::string_view::npos)
    return invalid(text, "more than one '-'");
  stream_id result;
  if (auto reason = parse_u64(text.substr(0, dash), "ms", result.ms);
      !reason.empty())
    return invalid(text, reason);
  if (auto reason = parse_u64(text.substr(dash + 1), "seq", result.seq);
      !reason.empty())
    return invalid(text, reason);
  return result;
}

std::string stream_id::to_string() const {
  if (ms == 0 && seq == 0)
    return "0";
  // Right to left into a buffer: one allocation at most (none up to 15
  // characters), no temporary strings; every list and flush renders IDs.
  char buf[48];
  char* end = buf + sizeof(buf);
  char* p = end;
  auto put = [&p](uint64_t x) {
    do {
      *--p = static_cast<char>('0' + x % 10);
      x /= 10;
    } while (x != 0);
  };
  put(seq);
  *--p = '-';
  put(ms);
  return std::string{p, end};
}

} // namespace cursor
