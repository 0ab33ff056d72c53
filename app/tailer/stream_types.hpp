#pragma once

// What the tailer's actors hand each other: entries read from a source
// stream, the state of a stream, and the outcome of applying a batch. These
// messages stay inside one process (the reader and the writer are never
// remote); `inspect` makes them printable for CAF.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "tailer/entry_batch.hpp"

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
  /// `max-deleted-entry-id`: the highest ID ever removed by XDEL or a trim;
  /// `0` when nothing was removed.
  std::string max_deleted_id;
  /// The ID of the oldest entry still in the stream; empty when empty.
  std::string first_entry_id;
  /// Entries in the stream now.
  uint64_t length = 0;
  /// Whether the server reports `entries-added` (Redis >= 7.0).
  bool has_entries_added = false;
  /// `entries-added`: how many entries were ever added to the stream.
  uint64_t entries_added = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_info& x) {
  return f(caf::meta::type_name("stream_info"), x.exists, x.last_generated_id,
           x.has_max_deleted, x.max_deleted_id, x.first_entry_id, x.length,
           x.has_entries_added, x.entries_added);
}

/// The answer to a read: up to `count` entries after the requested ID, and
/// the stream's state at the same instant.
struct read_result {
  entry_batch entries;
  stream_info info;
};

/// The outcome of applying a batch to the target stream, entry by entry in
/// order. `applied + duplicates` entries, a prefix of the batch, reached the
/// target (or were there already); `last_id` is the last of them (empty when
/// none). `error` is set when the batch stopped early; the rest of the batch
/// was not applied, except for `errc::target_hole`.
struct apply_result {
  uint64_t applied = 0;
  uint64_t duplicates = 0;
  std::string last_id;
  caf::error error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, apply_result& x) {
  return f(caf::meta::type_name("apply_result"), x.applied, x.duplicates,
           x.last_id, x.error);
}

} // namespace cursor::tailer

// Local messages only (reader -> pipeline), never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cursor::tailer::read_result)
