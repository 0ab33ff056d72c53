#include "cli/peer_list.hpp"

#include <map>

#include "cursor_actor/error.hpp"
#include "cursor_actor/peer_id.hpp"

namespace cursor::cli {

peer_list read_peer_list(std::istream& in) {
  peer_list result;
  std::map<std::string, size_t> seen;
  std::string line;
  size_t number = 0;
  auto fail = [&](const std::string& reason) {
    result.peers.clear();
    result.error = "line " + std::to_string(number) + ": " + reason;
    return result;
  };
  for (;;) {
    line.clear();
    char c = 0;
    bool any = false;
    bool too_long = false;
    while (in.get(c)) {
      any = true;
      if (c == '\n')
        break;
      if (line.size() == max_line_size) {
        too_long = true;
        break;
      }
      line += c;
    }
    if (!any)
      break;
    ++number;
    if (too_long)
      return fail("longer than " + std::to_string(max_line_size) + " bytes");
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty())
      continue;
    if (auto err = validate_peer_id(line))
      return fail(render(err));
    auto [i, added] = seen.emplace(line, number);
    if (!added)
      return fail("peer listed twice (first on line "
                  + std::to_string(i->second) + ")");
    result.peers.push_back(file_entry{line, {}, number});
  }
  if (in.bad()) {
    result.error = "read error";
    result.peers.clear();
  } else if (result.peers.empty()) {
    result.error = "no peers in the list";
  }
  return result;
}

} // namespace cursor::cli
