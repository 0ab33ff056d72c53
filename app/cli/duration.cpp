#include "cli/duration.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace cursor::cli {

namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

// Splits `text` into a decimal number of at most `max_digits` digits and a
// unit suffix; returns the unit's factor in milliseconds, or 0 when the
// number or the unit is not acceptable.
uint64_t split(std::string_view text, size_t max_digits, bool unit_required,
               uint64_t& number) {
  auto digits_end = text.find_first_not_of("0123456789");
  auto digits = text.substr(0, digits_end);
  auto unit = digits_end == std::string_view::npos ? std::string_view{}
                                                   : text.substr(digits_end);
  if (!all_digits(digits) || digits.size() > max_digits)
    return 0;
  number = std::stoull(std::string{digits});
  if (unit.empty())
    return unit_required ? 0 : 1000;
  if (unit == "ms")
    return 1;
  if (unit == "s")
    return 1000;
  if (unit == "m" || unit == "min")
    return 60'000;
  if (unit == "h")
    return 3'600'000;
  if (unit == "d")
    return 86'400'000;
  if (unit == "w")
    return 7 * 86'400'000ull;
  return 0;
}

} // namespace

bool parse_timeout(const std::string& text, std::chrono::milliseconds& out) {
  uint64_t number = 0;
  auto factor = split(text, 7, false, number);
  // Timeouts keep their historical units: ms, s, m/min (and bare seconds).
  if (factor == 0 || factor > 60'000)
    return false;
  auto ms = number * factor;
  if (ms < 1 || ms > 3'600'000)
    return false;
  out = std::chrono::milliseconds{ms};
  return true;
}

std::string format_timeout(std::chrono::milliseconds x) {
  if (x.count() % 1000 == 0)
    return std::to_string(x.count() / 1000) + "s";
  return std::to_string(x.count()) + "ms";
}

bool parse_age(const std::string& text, std::chrono::milliseconds& out) {
  constexpr uint64_t max_ms = 100ull * 365 * 86'400'000;
  uint64_t number = 0;
  auto factor = split(text, 12, true, number);
  if (factor == 0 || number == 0 || number > max_ms / factor)
    return false;
  out = std::chrono::milliseconds{number * factor};
  return true;
}

} // namespace cursor::cli
