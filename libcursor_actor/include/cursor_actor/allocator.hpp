#pragma once

// The C library's allocator, tuned for a store that must not pause.
//
// glibc keeps small freed blocks in per-arena "fastbins" and merges them all
// at once (malloc_consolidate) the next time a thread asks its arena for a
// larger block, holding the arena's lock meanwhile. After a flush of many
// cursors the writer thread frees hundreds of thousands of small blocks the
// cursor actor's thread allocated (the pieces' peers and IDs); the actor's
// next large allocation then merges them in one go: measured at 10-65 ms on
// a CAF worker (perf, bench section `stall`, docs/PERFORMANCE.md), a pause
// of every actor on that worker, the store included, whatever the store's
// own bound per message.
//
// `limit_allocator_pauses()` turns fastbins off for the whole process
// (mallopt(M_MXFAST, 0)): a freed block is merged with its neighbours when it
// is freed (bounded work per free; the per-thread cache still serves the
// common sizes), so no allocation pays for a backlog. It is process-wide, so
// the library never calls it itself: the node and the tailer call it first
// thing in main (app/common/host.cpp); an embedder calls it in its own main,
// or sets GLIBC_TUNABLES=glibc.malloc.mxfast=0 in the environment.

namespace cursor {

/// Turns glibc's fastbins off for this process. Returns false, changing
/// nothing, with another C library or allocator (AddressSanitizer's
/// refuses mallopt) or when glibc refuses.
bool limit_allocator_pauses() noexcept;

} // namespace cursor
