#pragma once

// The part of the cursor store's interface the tailer uses. The embedded
// store (a `cursor::cursor_actor`) converts to it implicitly, and so does the
// link to a remote cursor_node (store_link.hpp): the pipelines run the same
// code in both modes.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cursor_actor/atoms.hpp"

namespace cursor::tailer {

using store_api = caf::typed_actor<
    /// get_or_start(peer): where to resume ("0" for a new peer).
    caf::replies_to<get_atom, start_atom, std::string>::with<std::string>,
    /// set(peer, id): one cursor (the recorder's fallback, to name the peer a
    /// refused batch was about).
    caf::replies_to<set_atom, std::string, std::string>::with<ok_atom>,
    /// set(peers, ids): the batched set, all or nothing.
    caf::replies_to<set_atom, std::vector<std::string>,
                    std::vector<std::string>>::with<ok_atom>,
    /// flush: commit every pending change; answers the rows written.
    caf::replies_to<flush_atom>::with<uint64_t>>;

} // namespace cursor::tailer
