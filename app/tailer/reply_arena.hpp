#pragma once

// Where hiredis builds the tailer's replies: every object of one reply (the
// nodes, the element arrays, the strings) comes from a few growing blocks
// owned by that reply, instead of one malloc per object. An XREAD of 500
// entries is some 14,000 objects; freeing them one by one (and glibc
// consolidating its free lists afterwards) was about 45 % of the tailer's
// CPU in the benchmark's profile (docs/PERFORMANCE.md, "Tailer"). A reply
// is freed with free_reply(), in one go, on any thread.

#include <cstddef>
#include <memory>

struct redisReader;
struct redisReply;

namespace cursor::tailer {

/// Per connection: the reply being built. Owned by the connection; its
/// address is hiredis' reader privdata.
struct arena_context {
  void* current = nullptr;
};

/// Makes `reader` (a connection's, or a standalone one) build its replies in
/// arenas, using `context` (which must outlive the reader). Call before the
/// first reply is read.
void use_reply_arenas(redisReader* reader, arena_context* context);

/// Frees a reply built in an arena (and everything in it).
void free_reply(redisReply* reply);

} // namespace cursor::tailer
