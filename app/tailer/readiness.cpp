#include "tailer/readiness.hpp"

#include <algorithm>

namespace cursor::tailer {

namespace {

// Why one peer is not ready, or an empty string.
std::string peer_reason(const peer_stats* x) {
  if (x == nullptr)
    return "its pipeline did not answer";
  if (x->failed)
    return "stopped for good"
           + (x->last_error.empty() ? std::string{} : ": " + x->last_error);
  if (!x->source_up)
    return "its source is unreachable (retrying)";
  if (!x->target_up)
    return "the target is unreachable (retrying)";
  if (!x->store_up)
    return "the cursor store is unreachable (retrying)";
  return {};
}

} // namespace

std::string peers_not_ready(const std::vector<std::string>& peers,
                            const std::vector<peer_stats>& answered) {
  std::string first;
  size_t more = 0;
  for (const auto& id : peers) {
    auto i = std::find_if(answered.begin(), answered.end(),
                          [&](const peer_stats& x) { return x.peer == id; });
    auto why = peer_reason(i == answered.end() ? nullptr : &*i);
    if (why.empty())
      continue;
    if (first.empty())
      first = "peer '" + id + "': " + why;
    else
      ++more;
  }
  if (more > 0)
    first += " (and " + std::to_string(more)
             + (more == 1 ? " more peer)" : " more peers)");
  return first;
}

} // namespace cursor::tailer
