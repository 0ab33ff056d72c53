#pragma once

// The messaging floor: a bare stateful actor doing the same map inserts and
// lookups as the store, with nothing else (no validation, no dirty set, no
// SQLite).

#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "cursor_actor/cursor_actor.hpp"

namespace bench {

using bare_actor = caf::typed_actor<
    caf::replies_to<cursor::set_atom, std::string,
                    std::string>::with<cursor::ok_atom>,
    caf::replies_to<cursor::set_atom, std::vector<std::string>,
                    std::vector<std::string>>::with<cursor::ok_atom>,
    caf::replies_to<cursor::get_atom, std::string>::with<cursor::cursor_lookup>,
    caf::replies_to<cursor::dirty_atom>::with<uint64_t>>;

struct bare_state {
  std::unordered_map<std::string, std::string> map;
  static inline const char* name = "bench_bare";
};

// `expected`: a size hint for the map. (It also keeps the argument list
// non-empty: CAF 0.17.6 dereferences a null argument tuple when a function
// actor takes no arguments, which UBSan reports.)
bare_actor::behavior_type
bare_behavior(bare_actor::stateful_pointer<bare_state> self, size_t expected);

// Whether a handle accepts the batched set.
template <class Handle>
constexpr bool accepts_batch = caf::detail::tl_exists<
    typename Handle::signatures,
    caf::detail::tbind<
        std::is_same,
        caf::replies_to<cursor::set_atom, std::vector<std::string>,
                        std::vector<std::string>>::with<cursor::ok_atom>>::
        template type>::value;

} // namespace bench
