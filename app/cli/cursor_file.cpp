#include "cli/cursor_file.hpp"

#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "cursor_actor/error.hpp"
#include "cursor_actor/peer_id.hpp"
#include "cursor_actor/stream_id.hpp"

namespace cursor::cli {

namespace {

std::string at_line(size_t line, const std::string& reason) {
  return "line " + std::to_string(line) + ": " + reason;
}

// Reads one line (without its LF or CRLF); false at the end of the input
// or for a line longer than max_line_size (`too_long` set then).
bool next_line(std::istream& in, std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  char c = 0;
  bool any = false;
  while (in.get(c)) {
    any = true;
    if (c == '\n')
      break;
    if (line.size() == max_line_size) {
      too_long = true;
      return false;
    }
    line += c;
  }
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return any;
}

bool blank(const std::string& line) {
  return line.find_first_not_of(" \t") == std::string::npos;
}

// Splits one CSV record; false with `why` set for a malformed one.
bool split_csv(const std::string& line, std::vector<std::string>& fields,
               std::string& why) {
  fields.clear();
  std::string field;
  size_t i = 0;
  for (;;) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) {
          why = "unterminated quoted field";
          return false;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      if (i < line.size() && line[i] != ',') {
        why = "text after a closing quote";
        return false;
      }
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') {
          why = "a quote inside an unquoted field";
          return false;
        }
        field += line[i++];
      }
    }
    fields.push_back(field);
    if (i >= line.size())
      return true;
    ++i; // the comma
  }
}

std::string describe(const caf::error& err) {
  return render(err);
}

} // namespace

std::string check_entries(const std::vector<file_entry>& xs) {
  std::map<std::string, size_t> seen;
  for (auto& x : xs) {
    if (auto err = validate_peer_id(x.peer))
      return at_line(x.line, describe(err));
    if (auto id = stream_id::parse(x.stream_id); !id)
      return at_line(x.line, describe(id.error()) + " (peer '" + x.peer + "')");
    auto [i, added] = seen.emplace(x.peer, x.line);
    if (!added)
      return at_line(x.line, "peer '" + x.peer
                                 + "' appears again (first on "
                                   "line "
                                 + std::to_string(i->second) + ")");
  }
  return {};
}

file_contents read_json_lines(std::istream& in) {
  file_contents result;
  std::string line;
  bool too_long = false;
  size_t number = 0;
  auto fail = [&](const std::string& reason) {
    result.entries.clear();
    result.error = at_line(number, reason);
    return result;
  };
  while (next_line(in, line, too_long) || too_long) {
    ++number;
    if (too_long)
      return fail("longer than " + std::to_string(max_line_size) + " bytes");
    if (blank(line))
      continue;
    // nlohmann keeps the last of two equal keys: `{"stream_id":"9-0",
    // "stream_id":"5-0"}` would import 5-0 silently. The parser's callback
    // sees every key of the line's object (depth 1) and names the first one
    // given twice.
    std::set<std::string> keys;
    std::string repeated;
    auto obj = nlohmann::json::parse(
        line,
        [&](int depth, nlohmann::json::parse_event_t event,
            nlohmann::json& parsed) {
          if (event == nlohmann::json::parse_event_t::key && depth == 1
              && !keys.insert(parsed.get<std::string>()).second
              && repeated.empty())
            repeated = parsed.get<std::string>();
          return true;
        },
        false);
    if (obj.is_discarded())
      return fail("not valid JSON");
    if (!repeated.empty())
      return fail("the field '" + repeated + "' is given twice");
    if (!obj.is_object())
      return fail("not a JSON object");
    file_entry entry;
    entry.line = number;
    bool has_peer = false;
    bool has_id = false;
    for (auto& [key, value] : obj.items()) {
      if (key == "peer" || key == "stream_id") {
        if (!value.is_string())
          return fail("'" + key + "' is not a string");
        (key == "peer" ? entry.peer : entry.stream_id)
            = value.get<std::string>();
        (key == "peer" ? has_peer : has_id) = true;
      } else if (key == "updated_at") {
        if (!value.is_number_integer())
          return fail("'updated_at' is not an integer");
      } else if (key == "durable") {
        if (!value.is_boolean())
          return fail("'durable' is not true or false");
      } else {
        return fail("unknown field '" + key
                    + "' (expected peer, stream_id, updated_at, durable)");
      }
    }
    if (!has_peer)
      return fail("no 'peer'");
    if (!has_id)
      return fail("no 'stream_id'");
    result.entries.push_back(std::move(entry));
  }
  if (auto err = check_entries(result.entries); !err.empty()) {
    result.entries.clear();
    result.error = std::move(err);
  }
  return result;
}

file_contents read_csv(std::istream& in) {
  file_contents result;
  std::string line;
  bool too_long = false;
  size_t number = 0;
  auto fail = [&](const std::string& reason) {
    result.entries.clear();
    result.error = at_line(number, reason);
    return result;
  };
  std::vector<std::string> fields;
  std::string why;
  // Column indexes; the header sets them.
  size_t columns = 0;
  size_t peer_col = SIZE_MAX;
  size_t id_col = SIZE_MAX;
  while (next_line(in, line, too_long) || too_long) {
    ++number;
    if (too_long)
      return fail("longer than " + std::to_string(max_line_size) + " bytes");
    if (number == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0)
      line.erase(0, 3);
    if (blank(line))
      continue;
    if (!split_csv(line, fields, why))
      return fail(why);
    if (columns == 0) {
      for (size_t i = 0; i < fields.size(); ++i) {
        auto& name = fields[i];
        size_t* target = name == "peer"        ? &peer_col
                         : name == "stream_id" ? &id_col
                                               : nullptr;
        if (target == nullptr && name != "updated_at" && name != "durable")
          return fail("unknown column '" + name
                      + "' in the header (expected peer, stream_id, "
                        "updated_at, durable)");
        if (target != nullptr) {
          if (*target != SIZE_MAX)
            return fail("column '" + name + "' appears twice in the header");
          *target = i;
        }
      }
      if (peer_col == SIZE_MAX || id_col == SIZE_MAX)
        return fail("the header needs the columns peer and stream_id");
      columns = fields.size();
      continue;
    }
    if (fields.size() != columns)
      return fail(std::to_string(fields.size()) + " fields, the header has "
                  + std::to_string(columns));
    result.entries.push_back(
        file_entry{fields[peer_col], fields[id_col], number});
  }
  if (columns == 0) {
    result.error = "no header line";
    return result;
  }
  if (auto err = check_entries(result.entries); !err.empty()) {
    result.entries.clear();
    result.error = std::move(err);
  }
  return result;
}

} // namespace cursor::cli
