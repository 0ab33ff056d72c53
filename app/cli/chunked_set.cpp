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

size_t chunked_outcome::read_back_count(read_state x) const {
  return static_cast<size_t>(
      std::count_if(read_back.begin(), read_back.end(),
                    [x](const read_back_entry& y) { return y.state == x; }));
}

chunked_outcome set_in_chunks(caf::actor_system& sys, const cursor_actor& node,
                              const std::vector<planned_change>& changes,
                              const chunk_options& opts) {
  chunked_outcome result;
  auto chunk_size = std::max<size_t>(opts.chunk_size, 1);
  auto timeout = opts.timeout;
  auto force = opts.force;
  auto progress = opts.progress;
  auto& label = opts.label;
  // Whether the progress line waits for its newline.
  bool progress_open = false;
  result.chunks = (changes.size() + chunk_size - 1) / chunk_size;
  caf::scoped_actor self{sys};
  // The chunk's entries still to send (indexes into `changes`).
  std::vector<size_t> pending;
  std::vector<std::string> peers;
  std::vector<std::string> wants;
  std::vector<std::string> ids;
  for (size_t k = 0; k < result.chunks; ++k) {
    auto first = k * chunk_size;
    auto last = std::min(changes.size(), first + chunk_size);
    pending.clear();
    for (auto i = first; i < last; ++i)
      pending.push_back(i);
    caf::error failed;
    // Each round removes one conflicting entry: at most one round per
    // entry, plus the one that applies the rest.
    while (!pending.empty()) {
      peers.clear();
      wants.clear();
      ids.clear();
      for (auto i : pending) {
        peers.push_back(changes[i].entry.peer);
        wants.push_back(changes[i].current);
        ids.push_back(changes[i].entry.stream_id);
      }
      auto on_ok = [](ok_atom) {};
      auto on_error = [&](caf::error& e) { failed = std::move(e); };
      if (force)
        self->request(node, timeout, set_atom_v, expect_atom_v, force_atom_v,
                      peers, wants, ids)
            .receive(on_ok, on_error);
      else
        self->request(node, timeout, set_atom_v, expect_atom_v, peers, wants,
                      ids)
            .receive(on_ok, on_error);
      if (!failed)
        break;
      auto index = refused_index(failed);
      if (!is(failed, errc::conflict) || index < 0
          || static_cast<size_t>(index) >= pending.size())
        break;
      auto at = pending.begin() + index;
      auto& x = changes[*at];
      result.conflicts.push_back(
          conflict_note{x.entry.line, x.entry.peer, render(failed)});
      pending.erase(at);
      failed = caf::error{};
    }
    if (failed) {
      result.error = std::move(failed);
      result.failed_chunk = k + 1;
      result.failed_first_line = changes[first].entry.line;
      result.failed_last_line = changes[last - 1].entry.line;
      auto index = refused_index(result.error);
      if (index >= 0 && static_cast<size_t>(index) < pending.size())
        result.refused_line
            = changes[pending[static_cast<size_t>(index)]].entry.line;
      result.ambiguous = may_have_applied(result.error);
      if (result.ambiguous) {
        for (auto i : pending) {
          auto& x = changes[i];
          read_back_entry y;
          y.line = x.entry.line;
          y.peer = x.entry.peer;
          y.from = x.current;
          y.target = x.entry.stream_id;
          result.read_back.push_back(std::move(y));
        }
        if (progress_open) {
          *progress << '\n' << std::flush;
          progress_open = false;
        }
        if (opts.on_read_back)
          opts.on_read_back(result);
        // The same actor and handle as the chunk: see read_back.cpp.
        read_back(self, node, opts.read_back_timeout, result.read_back,
                  opts.reconnect);
      }
      break;
    }
    result.applied_chunks += 1;
    result.applied_entries += pending.size();
    if (progress != nullptr)
      *progress << '\r' << label << ": " << result.applied_chunks << " of "
                << result.chunks << " chunks, " << result.applied_entries
                << " of " << changes.size() << " entries" << std::flush;
    progress_open = progress != nullptr;
  }
  if (progress_open)
    *progress << '\n' << std::flush;
  return result;
}

} // namespace cursor::cli
