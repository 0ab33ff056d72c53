#pragma once

// A Redis stream ID: `<ms>-<seq>`, two unsigned 64-bit numbers, or `0`
// ("from the beginning"), which is the same position as `0-0`.

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace cursor {

/// A parsed stream ID, ordered numerically (`9-0` < `10-0`).
struct stream_id {
  uint64_t ms = 0;
  uint64_t seq = 0;

  /// Parses the canonical text form. Accepts exactly `0` and `<ms>-<seq>`
  /// where each part is a decimal without sign, blanks or leading zeros that
  /// fits in 64 bits. Returns `errc::invalid_stream_id` with the reason
  /// otherwise.
  static caf::expected<stream_id> parse(std::string_view text);

  /// Renders the canonical text form; the zero position renders as `0`.
  std::string to_string() const;

  friend bool operator==(stream_id a, stream_id b) {
    return a.ms == b.ms && a.seq == b.seq;
  }
  friend bool operator!=(stream_id a, stream_id b) { return !(a == b); }
  friend bool operator<(stream_id a, stream_id b) {
    return a.ms < b.ms || (a.ms == b.ms && a.seq < b.seq);
  }
  friend bool operator<=(stream_id a, stream_id b) { return !(b < a); }
};

inline std::string to_string(stream_id x) {
  return x.to_string();
}

} // namespace cursor
