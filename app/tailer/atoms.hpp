#pragma once

// The atoms of the tailer's own messages (at most ten characters). The
// store's atoms (get, start, set, flush, stats, retry, ok) come from
// cursor_actor/atoms.hpp.

#include <caf/atom.hpp>

#include "cursor_actor/atoms.hpp"

namespace cursor::tailer {

using read_atom = caf::atom_constant<caf::atom("read")>;
using apply_atom = caf::atom_constant<caf::atom("apply")>;
using probe_atom = caf::atom_constant<caf::atom("probe")>;
using record_atom = caf::atom_constant<caf::atom("record")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;
using verify_atom = caf::atom_constant<caf::atom("verify")>;

constexpr read_atom read_atom_v = read_atom{};
constexpr apply_atom apply_atom_v = apply_atom{};
constexpr probe_atom probe_atom_v = probe_atom{};
constexpr record_atom record_atom_v = record_atom{};
constexpr stop_atom stop_atom_v = stop_atom{};
constexpr failed_atom failed_atom_v = failed_atom{};
constexpr verify_atom verify_atom_v = verify_atom{};

} // namespace cursor::tailer
