#include "cli/output.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "cli/json_line.hpp"

namespace cursor::cli {

namespace {

// Display width in code points (peer IDs are valid UTF-8).
size_t width(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }));
}

void pad(std::ostream& out, const std::string& text, size_t column) {
  out << text;
  for (auto n = width(text); n < column; ++n)
    out << ' ';
}

const char* yes_no(bool x) {
  return x ? "yes" : "no";
}

json entry_json(const cursor_entry& x) {
  return json{{"peer", x.peer},
              {"stream_id", x.stream_id},
              {"updated_at", x.updated_at},
              {"durable", x.durable}};
}

} // namespace

std::string format_unix_ms(int64_t ms) {
  if (ms <= 0)
    return "never";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char result[48];
  std::snprintf(result, sizeof(result), "%s.%03dZ", buf,
                static_cast<int>(ms % 1000));
  return result;
}

void print_lookup(std::ostream& out, const std::string& peer,
                  const cursor_lookup& x, bool json_output) {
  if (!json_output) {
    out << (x.found ? x.stream_id : std::string{"none"}) << '\n';
    return;
  }
  json obj{{"peer", peer}, {"found", x.found}};
  if (x.found) {
    obj["stream_id"] = x.stream_id;
    obj["durable"] = x.durable;
  }
  out << dump(obj) << '\n';
}

void print_list(std::ostream& out, const std::vector<cursor_entry>& xs,
                bool json_output) {
  if (json_output) {
    auto arr = json::array();
    for (auto& x : xs)
      arr.push_back(entry_json(x));
    out << dump(arr) << '\n';
    return;
  }
  size_t peer_col = 4;
  size_t id_col = 9;
  for (auto& x : xs) {
    peer_col = std::max(peer_col, width(x.peer));
    id_col = std::max(id_col, width(x.stream_id));
  }
  peer_col += 2;
  id_col += 2;
  pad(out, "PEER", peer_col);
  pad(out, "STREAM_ID", id_col);
  pad(out, "UPDATED (UTC)", 26);
  out << "DURABLE\n";
  for (auto& x : xs) {
    pad(out, x.peer, peer_col);
    pad(out, x.stream_id, id_col);
    pad(out, format_unix_ms(x.updated_at), 26);
    out << yes_no(x.durable) << '\n';
  }
}

void print_stats(std::ostream& out, const cursor_stats& x, bool json_output,
                 bool prometheus) {
  if (prometheus) {
    out << to_prometheus(x);
    return;
  }
  if (json_output) {
    json obj{{"entries", x.entries},
             {"dirty", x.dirty},
             {"flushes", x.flushes},
             {"rows_written", x.rows_written},
             {"flush_errors", x.flush_errors},
             {"retries_flush", x.retries_flush},
             {"retries_delete", x.retries_delete},
             {"retries_checkpoint", x.retries_checkpoint},
             {"checkpoints", x.checkpoints},
             {"checkpoint_errors", x.checkpoint_errors},
             {"last_flush_unix_ms", x.last_flush_unix_ms},
             {"oldest_dirty_age_ms", x.oldest_dirty_age_ms},
             {"degraded", x.degraded},
             {"closed", x.closed},
             {"last_error", x.last_error}};
    out << dump(obj) << '\n';
    return;
  }
  auto line = [&](const char* name, const std::string& value) {
    pad(out, name, 21);
    out << value << '\n';
  };
  line("entries", std::to_string(x.entries));
  line("dirty", std::to_string(x.dirty));
  line("oldest_dirty_age_ms", std::to_string(x.oldest_dirty_age_ms));
  line("flushes", std::to_string(x.flushes));
  line("rows_written", std::to_string(x.rows_written));
  line("flush_errors", std::to_string(x.flush_errors));
  line("retries_flush", std::to_string(x.retries_flush));
  line("retries_delete", std::to_string(x.retries_delete));
  line("retries_checkpoint", std::to_string(x.retries_checkpoint));
  line("checkpoints", std::to_string(x.checkpoints));
  line("checkpoint_errors", std::to_string(x.checkpoint_errors));
  line("last_flush", format_unix_ms(x.last_flush_unix_ms));
  line("degraded", yes_no(x.degraded));
  line("closed", yes_no(x.closed));
  line("last_error", x.last_error.empty() ? "-" : x.last_error);
}

void print_checkpoint(std::ostream& out, const checkpoint_info& x) {
  if (x.log_frames < 0) {
    out << "checkpoint complete (the database is not in WAL mode)\n";
    return;
  }
  out << "checkpoint complete: " << x.checkpointed_frames << " of "
      << x.log_frames << " WAL frames checkpointed\n";
}

void write_json_lines(std::ostream& out, const std::vector<cursor_entry>& xs) {
  for (auto& x : xs)
    out << dump(entry_json(x)) << '\n';
}

std::string csv_field(const std::string& text) {
  bool quote
      = text.find_first_of(",\"\r\n") != std::string::npos
        || (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote)
    return text;
  std::string result = "\"";
  for (char c : text) {
    if (c == '"')
      result += '"';
    result += c;
  }
  result += '"';
  return result;
}

void write_csv(std::ostream& out, const std::vector<cursor_entry>& xs,
               bool header) {
  if (header)
    out << "peer,stream_id,updated_at,durable\n";
  for (auto& x : xs)
    out << csv_field(x.peer) << ',' << csv_field(x.stream_id) << ','
        << x.updated_at << ',' << (x.durable ? "true" : "false") << '\n';
}

} // namespace cursor::cli
