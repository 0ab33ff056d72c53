#pragma once

// Turning CAF errors into one readable line.

#include <string>

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

namespace cursor::app {

/// Renders `err` as one line without CAF's `error(...)` wrapping: errors of
/// the store's `cursor` category as `cursor::render` does ("regression:
/// cursor of ..."), CAF's own as "<code name>: <context>" ("cannot_open_port:
/// bind failed, 127.0.0.1"). Line breaks in the context become spaces.
std::string describe(const caf::error& err);

/// Renders a bound as an operator wrote it: whole seconds as "2s", anything
/// else in milliseconds ("500ms", "0ms"). For error lines that name a
/// timeout.
std::string duration_text(caf::timespan x);

} // namespace cursor::app
