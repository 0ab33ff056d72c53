#pragma once

#include <caf/fwd.hpp>

namespace cursor {

/// Announces every type of the cursor protocol (cursor_entry, cursor_lookup,
/// cursor_stats, checkpoint_info, and the writer's types) and the `cursor`
/// error category to CAF. Call it on the config of every process that talks
/// to the store, local or remote, before constructing the actor system.
void register_types(caf::actor_system_config& cfg);

} // namespace cursor
