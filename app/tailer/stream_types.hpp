#pragma once

// What the tailer's actors hand each other: entries read from a source
// stream, the state of a stream, and the outcome of applying a batch. These
// messages stay inside one process (the reader and the writer are never
// remote); `inspect` makes them printable for CAF.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "tailer/entry_batch.hpp"
#include "tailer/target_check.hpp"

namespace cursor::tailer {

/// What `XINFO STREAM` says about a stream, read atomically with the entries
/// it accompanies (see source_reader.hpp). IDs are canonical stream IDs.
struct stream_info {
  /// False when the key does not exist; every other field is then empty.
  bool exists = false;
  /// `last-generated-id`: the highest ID ever added (survives deletes).
  std::string last_generated_id;
  /// Whether the server reports `max-deleted-entry-id` (Redis >= 7.0).
  bool has_max_deleted = false;
  /// `max-deleted-entry-id`: the highest ID ever removed by XDEL (Redis 7.0
  /// does not raise it when trimming), or what XSETID set.
  std::string max_deleted_id;
  /// The ID of the oldest entry still in the stream; empty when empty.
  std::string first_entry_id;
  /// Entries in the stream now.
  uint64_t length = 0;
  /// Whether the server reports `entries-added` (Redis >= 7.0).
  bool has_entries_added = false;
  /// `entries-added`: how many entries were ever added to the stream.
  uint64_t entries_added = 0;
  /// The ID of the newest entry still in the stream and its fields in
  /// fields_key() form (stream_reply.hpp); empty when empty.
  std::string last_entry_id;
  std::string last_entry_fields;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_info& x) {
  return f(caf::meta::type_name("stream_info"), x.exists, x.last_generated_id,
           x.has_max_deleted, x.max_deleted_id, x.first_entry_id, x.length,
           x.has_entries_added, x.entries_added, x.last_entry_id,
           x.last_entry_fields);
}

/// The answer to a read: up to `count` entries after the requested ID, the
/// stream's state and the entry at the requested position, all at the same
/// instant.
struct read_result {
  entry_batch entries;
  stream_info info;
  /// The fields (fields_key() form) of the entry at the position the read
  /// was asked to look at; empty when there is none (or none was asked for).
  std::optional<std::string> at_position;
  /// The key holds another type (WRONGTYPE); `info.exists` is then false.
  bool wrong_type = false;
};

/// The outcome of applying a batch to the target stream. Without `error`,
/// the whole batch is in the target: `applied` entries written, `duplicates`
/// found there already (read again after a restart, compared with the
/// target's); `last_id` is the batch's last ID and `state` the target's
/// state now. With `error` nothing of the batch was written, unless the
/// transaction was sent and its answer lost (redis_io: the target holds the
/// batch or not) or for `errc::target_hole`.
struct apply_result {
  uint64_t applied = 0;
  uint64_t duplicates = 0;
  std::string last_id;
  target_state state;
  caf::error error;
};

} // namespace cursor::tailer

// Local messages only (reader -> pipeline -> writer), never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cursor::tailer::read_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cursor::tailer::apply_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cursor::tailer::target_state)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cursor::tailer::target_observation)
