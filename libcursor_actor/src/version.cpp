#include "cursor_actor/version.hpp"

namespace cursor {

const char* library_version() noexcept {
  // Compiled into the library: the version of the library's own build.
  return CURSOR_ACTOR_VERSION_STRING;
}

} // namespace cursor
