#pragma once

// Turning hiredis replies to XREAD, XRANGE and XINFO STREAM (RESP2) into the
// tailer's types. A reply of an unexpected shape is `errc::redis_protocol`.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
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

/// A target's state from its `XINFO STREAM`: IDs parsed, the last entry's
/// ID and fields kept. Errors: `errc::redis_protocol` for an ID that does
/// not parse.
caf::expected<target_observation> observe_target(const stream_info& info);

/// The entry of `XRANGE <key> <id> <id>`: its fields in fields_key() form,
/// or nothing when the reply is empty.
caf::expected<std::optional<std::string>>
parse_entry_at(const redisReply& reply);

/// An entry's fields and values (an array of strings, or nil) as one string
/// that is equal for two entries exactly when their fields and values are:
/// each string as `<length>:<bytes>`.
std::string fields_key(const redisReply& fields);

/// Appends one field or value to a fields_key() string.
void append_fields_key(std::string& key, std::string_view field);

/// Whether an error reply says that the key does not exist ("ERR no such
/// key"), which XINFO answers for a missing stream.
bool is_no_such_key(const redisReply& reply);

} // namespace cursor::tailer
