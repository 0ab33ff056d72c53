#include "cursor_actor/allocator.hpp"

#include <cstdlib> // defines __GLIBC__ under glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cursor {

bool limit_allocator_pauses() noexcept {
#if defined(__GLIBC__)
  return mallopt(M_MXFAST, 0) == 1;
#else
  return false;
#endif
}

} // namespace cursor
