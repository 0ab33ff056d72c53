#include "cli/chunked_set.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "cursor_actor/error.hpp"

namespace cursor::cli {

long refused_index(const caf::error& err) {
  if (!err || err.category() != caf::atom("cursor"))
    return -1;
  auto text = render(err);
  static constexpr std::string_view marker = "batch entry ";
  auto at = text.find(marker);
  if (at == std::string::npos)
    return -1;
  auto digits = text.c_str() + at + marker.size();
  char* end = nullptr;
  auto value = std::strtol(digits, &end, 10);
  if (end == digits)
    return -1;
  return value;
}

chunked_outcome set_in_chunks(caf::actor_system& sys, const cursor_actor& node,
                              std::chrono::milliseconds timeout,
                              const std::vector<file_entry>& entries,
                              bool force, size_t chunk_size,
                              std::ostream* progress,
                              const std::string& label) {
  chunked_outcome result;
  chunk_size = std::max<size_t>(chunk_size, 1);
  result.chunks = (entries.size() + chunk_size - 1) / chunk_size;
  caf::scoped_actor self{sys};
  std::vector<std::string> peers;
  std::vector<std::string> ids;
  for (size_t k = 0; k < result.chunks; ++k) {
    auto first = k * chunk_size;
    auto last = std::min(entries.size(), first + chunk_size);
    peers.clear();
    ids.clear();
    for (auto i = first; i < last; ++i) {
      peers.push_back(entries[i].peer);
      ids.push_back(entries[i].stream_id);
    }
    caf::error failed;
    auto on_ok = [](ok_atom) {};
    auto on_error = [&](caf::error& e) { failed = std::move(e); };
    if (force)
      self->request(node, timeout, set_atom_v, force_atom_v, peers, ids)
          .receive(on_ok, on_error);
    else
      self->request(node, timeout, set_atom_v, peers, ids)
          .receive(on_ok, on_error);
    if (failed) {
      result.error = std::move(failed);
      result.failed_chunk = k + 1;
      result.failed_first_line = entries[first].line;
      result.failed_last_line = entries[last - 1].line;
      auto index = refused_index(result.error);
      if (index >= 0 && static_cast<size_t>(index) < last - first)
        result.refused_line = entries[first + static_cast<size_t>(index)].line;
      break;
    }
    result.applied_chunks += 1;
    result.applied_entries += last - first;
    if (progress != nullptr)
      *progress << '\r' << label << ": " << result.applied_chunks << " of "
                << result.chunks << " chunks, " << result.applied_entries
                << " of " << entries.size() << " entries" << std::flush;
  }
  if (progress != nullptr && result.applied_chunks > 0)
    *progress << '\n' << std::flush;
  return result;
}

} // namespace cursor::cli
