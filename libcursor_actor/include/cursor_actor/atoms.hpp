#pragma once

// The atoms of the cursor store's protocol. CAF 0.17 atoms hold at most ten
// characters from [0-9A-Za-z_]; CAF's predefined get/flush/delete/close/tick/ok
// atoms are reused where their names fit. `retry` and `tick` name timers the
// store (and the tailer) send themselves; they are not part of the store's
// published interface. The writer's own atoms live with its interface in
// the library's sources.

#include <caf/atom.hpp>
#include <caf/type_id.hpp>

namespace cursor {

using caf::close_atom;
using caf::delete_atom;
using caf::flush_atom;
using caf::get_atom;
using caf::ok_atom;
using caf::tick_atom;

using caf::close_atom_v;
using caf::delete_atom_v;
using caf::flush_atom_v;
using caf::get_atom_v;
using caf::ok_atom_v;
using caf::tick_atom_v;

using set_atom = caf::atom_constant<caf::atom("set")>;
using force_atom = caf::atom_constant<caf::atom("force")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using dirty_atom = caf::atom_constant<caf::atom("dirty")>;
using checkpoint_atom = caf::atom_constant<caf::atom("checkpoint")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using backup_atom = caf::atom_constant<caf::atom("backup")>;
/// Marks a conditional set: it applies only where the cursor is still what
/// the caller expects.
using expect_atom = caf::atom_constant<caf::atom("expect")>;

constexpr set_atom set_atom_v = set_atom{};
constexpr force_atom force_atom_v = force_atom{};
constexpr start_atom start_atom_v = start_atom{};
constexpr list_atom list_atom_v = list_atom{};
constexpr dirty_atom dirty_atom_v = dirty_atom{};
constexpr checkpoint_atom checkpoint_atom_v = checkpoint_atom{};
constexpr stats_atom stats_atom_v = stats_atom{};
constexpr retry_atom retry_atom_v = retry_atom{};
constexpr backup_atom backup_atom_v = backup_atom{};
constexpr expect_atom expect_atom_v = expect_atom{};

} // namespace cursor
