#include "cli/health.hpp"

#include "cli/exit_codes.hpp"
#include "cli/json_line.hpp"
#include "cli/output.hpp"

namespace cursor::cli {

namespace {

// The line must stay one line whatever SQLite put into the error text.
std::string one_line(std::string text) {
  for (auto& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = ' ';
  return text;
}

std::string seconds(int64_t ms) {
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100)
         + "s";
}

} // namespace

int print_health(std::ostream& out, const cursor_stats& x, bool as_json) {
  const char* status = "healthy";
  int code = exit_ok;
  if (x.closed) {
    status = "closed";
    code = exit_closed;
  } else if (x.degraded) {
    status = "degraded";
    code = exit_degraded;
  }
  if (as_json) {
    out << dump(json{{"status", status},
                     {"entries", x.entries},
                     {"dirty", x.dirty},
                     {"oldest_dirty_age_ms", x.oldest_dirty_age_ms},
                     {"last_flush_unix_ms", x.last_flush_unix_ms},
                     {"last_error", x.last_error}})
        << '\n';
    return code;
  }
  out << status << ": ";
  if (x.closed)
    out << "the store is closed, writes are refused; ";
  else if (x.degraded)
    out << "the last write failed (" << one_line(x.last_error) << "); ";
  out << x.entries << (x.entries == 1 ? " cursor, " : " cursors, ") << x.dirty
      << " not committed";
  if (x.dirty > 0)
    out << " (oldest " << seconds(x.oldest_dirty_age_ms) << ")";
  out << ", last flush " << format_unix_ms(x.last_flush_unix_ms) << '\n';
  return code;
}

int print_not_serving(std::ostream& out, const std::string& reason,
                      bool as_json) {
  if (as_json)
    out << dump(json{{"status", "closed"}, {"error", reason}}) << '\n';
  else
    out << "closed: the store is not serving (" << one_line(reason) << ")\n";
  return exit_closed;
}

} // namespace cursor::cli
