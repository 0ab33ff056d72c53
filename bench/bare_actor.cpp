#include "bare_actor.hpp"

#include <algorithm>

namespace bench {

using namespace cursor;

bare_actor::behavior_type
bare_behavior(bare_actor::stateful_pointer<bare_state> self, size_t expected) {
  self->state.map.reserve(expected);
  return {
      [self](set_atom, const std::string& peer, const std::string& id) {
        self->state.map[peer] = id;
        return ok_atom_v;
      },
      [self](set_atom, const std::vector<std::string>& peers,
             const std::vector<std::string>& ids) {
        auto& map = self->state.map;
        auto n = std::min(peers.size(), ids.size());
        for (size_t i = 0; i < n; ++i)
          map[peers[i]] = ids[i];
        return ok_atom_v;
      },
      [self](get_atom, const std::string& peer) {
        auto& map = self->state.map;
        auto i = map.find(peer);
        if (i == map.end())
          return cursor_lookup{};
        return cursor_lookup{true, i->second, false};
      },
      [self](dirty_atom) {
        return static_cast<uint64_t>(self->state.map.size());
      },
  };
}

} // namespace bench
