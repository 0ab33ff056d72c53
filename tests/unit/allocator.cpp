// limit_allocator_pauses (cursor_actor/allocator.hpp): after it, glibc keeps
// no freed block in a fastbin, so no later allocation merges a backlog of
// them. Checked through mallinfo2's count of bytes in fastbin blocks, which
// a burst of small frees leaves non-zero with glibc's defaults.

#define CAF_SUITE allocator

#include "cursor_actor/allocator.hpp"

#include "test.hpp"

#include <cstdlib>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

CAF_TEST(no freed small block waits in a fastbin) {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's allocator replaces glibc's (it has no fastbins) and
  // refuses mallopt: nothing to turn off, and the call says so.
  CAF_CHECK(!cursor::limit_allocator_pauses());
#elif defined(__GLIBC__)
  CAF_REQUIRE(cursor::limit_allocator_pauses());
  // Far more than the per-thread cache holds (7 per size), so most frees
  // reach the arena: with fastbins they would wait there.
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) {
    auto p = std::malloc(24 + (i % 4) * 16);
    CAF_REQUIRE(p != nullptr);
    static_cast<char*>(p)[0] = static_cast<char>(i);
    blocks.push_back(p);
  }
  for (auto p : blocks)
    std::free(p);
  CAF_CHECK_EQUAL(mallinfo2().fsmblks, 0u);
#else
  CAF_CHECK(!cursor::limit_allocator_pauses());
#endif
}
