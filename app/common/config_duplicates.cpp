#include "common/config_duplicates.hpp"

#include <cctype>
#include <map>
#include <vector>

namespace cursor::app {

namespace {

bool is_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'
         || c == '.';
}

// One open `{...}` (or the section itself) whose keys must be unique, or a
// `[...]` list, whose elements are values.
struct scope {
  bool is_map = true;
  std::string prefix;              // "section." or "section.key."
  std::map<std::string, int> keys; // key -> line of its first appearance
  bool expect_key = true;
  std::string pending_key; // a key waiting for its '=' or '{'
};

} // namespace

std::string find_duplicate_key(const std::string& text,
                               const std::string& file) {
  std::map<std::string, int> sections;
  std::vector<scope> stack;
  stack.push_back(scope{true, "", {}, true, {}});
  int line = 1;
  size_t i = 0;
  auto n = text.size();
  auto skip_quoted = [&](char quote) {
    for (++i; i < n && text[i] != quote; ++i) {
      if (text[i] == '\\' && i + 1 < n)
        ++i;
      if (text[i] == '\n')
        ++line;
    }
  };
  auto twice = [&](const std::string& what, int first) {
    return what + " appears twice in config file '" + file + "' (lines "
           + std::to_string(first) + " and " + std::to_string(line)
           + "); CAF would silently keep one of them: remove the other";
  };
  for (; i < n; ++i) {
    char c = text[i];
    auto& top = stack.back();
    if (c == '\n') {
      ++line;
      if (stack.size() == 1)
        top.expect_key = true;
      continue;
    }
    if (c == ';') {
      while (i + 1 < n && text[i + 1] != '\n')
        ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)))
      continue;
    if (c == '"' || c == '\'') {
      skip_quoted(c);
      top.pending_key.clear();
      top.expect_key = false;
      continue;
    }
    if (c == '[' && stack.size() == 1 && top.expect_key) {
      // A section header: [name] or [name.sub].
      auto end = text.find(']', i);
      auto eol = text.find('\n', i);
      if (end == std::string::npos || (eol != std::string::npos && eol < end))
        return {}; // a syntax error: CAF's parser reports it
      auto name = text.substr(i + 1, end - i - 1);
      while (!name.empty()
             && std::isspace(static_cast<unsigned char>(name.back())))
        name.pop_back();
      while (!name.empty()
             && std::isspace(static_cast<unsigned char>(name.front())))
        name.erase(0, 1);
      if (auto j = sections.find(name); j != sections.end())
        return twice("section [" + name + "]", j->second);
      sections.emplace(name, line);
      top.keys.clear();
      top.prefix = name + ".";
      i = end;
      continue;
    }
    if (c == '[') {
      top.pending_key.clear();
      stack.push_back(scope{false, "", {}, false, {}});
      continue;
    }
    if (c == '{') {
      auto prefix
          = top.prefix
            + (top.pending_key.empty() ? std::string{} : top.pending_key + ".");
      top.pending_key.clear();
      top.expect_key = false;
      stack.push_back(scope{true, prefix, {}, true, {}});
      continue;
    }
    if ((c == ']' || c == '}') && stack.size() > 1) {
      stack.pop_back();
      stack.back().expect_key = false;
      continue;
    }
    if (c == ',') {
      if (top.is_map)
        top.expect_key = true;
      continue;
    }
    if (c == '=') {
      top.expect_key = false;
      continue;
    }
    if (top.is_map && top.expect_key && is_key_char(c)) {
      auto start = i;
      while (i + 1 < n && is_key_char(text[i + 1]))
        ++i;
      auto key = text.substr(start, i - start + 1);
      auto full = top.prefix + key;
      if (auto j = top.keys.find(key); j != top.keys.end())
        return twice("key '" + full + "'", j->second);
      top.keys.emplace(key, line);
      top.pending_key = key;
      top.expect_key = false;
      continue;
    }
    // Any other character is part of a value.
    top.pending_key.clear();
  }
  return {};
}

} // namespace cursor::app
