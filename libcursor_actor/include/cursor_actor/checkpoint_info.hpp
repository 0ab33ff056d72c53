#pragma once

// The outcome of a `wal_checkpoint(TRUNCATE)`.

#include <cstdint>

#include <caf/meta/type_name.hpp>

namespace cursor {

/// The (busy, log, checkpointed) triple of SQLite's checkpoint. A checkpoint
/// is complete when `busy` is false and every log frame was checkpointed;
/// the store answers an incomplete one with `errc::checkpoint_incomplete`.
/// Both frame counts are -1 when the database is not in WAL mode.
struct checkpoint_info {
  bool busy = false;
  int32_t log_frames = 0;
  int32_t checkpointed_frames = 0;

  bool complete() const { return !busy && log_frames == checkpointed_frames; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_info& x) {
  return f(caf::meta::type_name("checkpoint_info"), x.busy, x.log_frames,
           x.checkpointed_frames);
}

} // namespace cursor
