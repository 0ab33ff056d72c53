#pragma once

// Turning hiredis replies to XREAD, XRANGE and XINFO STREAM (RESP2) into the
// tailer's types. A reply of an unexpected shape is `errc::redis_protocol`.

#include <memory>
#include <vector>

#include <caf/expected.hpp>

#include "tailer/stream_types.hpp"

struct redisReply;

namespace cursor::tailer {

/// Checks an array of entries as XRANGE returns it, `[[id, [f1, v1, ...]],
/// ...]`: every ID and field a string, every field list an array (or nil).
caf::error check_entries(const redisReply& reply);

/// The entries of `reply`, the answer to `XREAD ... STREAMS <one key> <id>`
/// (nil when there is nothing new, or `[[key, entries]]`), checked and
/// wrapped without a copy; `owner` is the reply that contains `reply` and
/// keeps it alive.
caf::expected<entry_batch> read_batch(std::shared_ptr<const redisReply> owner,
                                      const redisReply& reply);

/// The reply of `XINFO STREAM <key>`, a flat list of name-value pairs.
/// `max-deleted-entry-id` and `entries-added` are optional (Redis >= 7.0
/// sends them).
caf::expected<stream_info> parse_xinfo(const redisReply& reply);

/// Whether an error reply says that the key does not exist ("ERR no such
/// key"), which XINFO answers for a missing stream.
bool is_no_such_key(const redisReply& reply);

} // namespace cursor::tailer
