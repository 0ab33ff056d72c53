#include "cli/import_plan.hpp"

#include <map>

#include "cursor_actor/stream_id.hpp"

namespace cursor::cli {

import_plan make_plan(const std::vector<file_entry>& entries,
                      const std::vector<cursor_entry>& current) {
  std::map<std::string, const std::string*> by_peer;
  for (auto& x : current)
    by_peer.emplace(x.peer, &x.stream_id);
  import_plan plan;
  plan.changes.reserve(entries.size());
  for (auto& x : entries) {
    planned_change item{x, change::added, {}};
    if (auto i = by_peer.find(x.peer); i != by_peer.end()) {
      item.current = *i->second;
      // Both parse: the file was checked, the node's values are canonical.
      auto now = stream_id::parse(item.current);
      auto next = stream_id::parse(x.stream_id);
      if (!now || !next || *now == *next)
        item.kind = change::unchanged;
      else
        item.kind = *now < *next ? change::advanced : change::moved_back;
    }
    switch (item.kind) {
      case change::added:
        ++plan.added;
        break;
      case change::advanced:
        ++plan.advanced;
        break;
      case change::moved_back:
        ++plan.moved_back;
        break;
      case change::unchanged:
        ++plan.unchanged;
        break;
    }
    plan.changes.push_back(std::move(item));
  }
  return plan;
}

void print_plan(std::ostream& out, const import_plan& plan) {
  for (auto& x : plan.changes) {
    switch (x.kind) {
      case change::added:
        out << "new      " << x.entry.peer << ": " << x.entry.stream_id << '\n';
        break;
      case change::advanced:
        out << "advance  " << x.entry.peer << ": " << x.current << " -> "
            << x.entry.stream_id << '\n';
        break;
      case change::moved_back:
        out << "BACK     " << x.entry.peer << ": " << x.current << " -> "
            << x.entry.stream_id << '\n';
        break;
      case change::unchanged:
        break;
    }
  }
  out << plan.added << " new, " << plan.advanced << " advanced, "
      << plan.moved_back << " moved back, " << plan.unchanged << " unchanged\n";
}

} // namespace cursor::cli
