#pragma once

// Turning hiredis replies to XREAD, XRANGE and XINFO STREAM (RESP2) into the
// tailer's types. A reply of an unexpected shape is `errc::redis_protocol`.

#include <vector>

#include <caf/expected.hpp>

#include "tailer/stream_types.hpp"

struct redisReply;

namespace cursor::tailer {

/// An array of entries as XRANGE returns it: `[[id, [f1, v1, ...]], ...]`.
/// Appends to `out`.
caf::error parse_entries(const redisReply& reply,
                         std::vector<stream_entry>& out);

/// The reply of `XREAD ... STREAMS <one key> <id>`: nil (nothing new) or
/// `[[key, entries]]`. Appends the entries to `out`.
caf::error parse_xread(const redisReply& reply, std::vector<stream_entry>& out);

/// The reply of `XINFO STREAM <key>`, a flat list of name-value pairs.
/// `max-deleted-entry-id` and `entries-added` are optional (Redis >= 7.0
/// sends them).
caf::expected<stream_info> parse_xinfo(const redisReply& reply);

/// Whether an error reply says that the key does not exist ("ERR no such
/// key"), which XINFO answers for a missing stream.
bool is_no_such_key(const redisReply& reply);

} // namespace cursor::tailer
