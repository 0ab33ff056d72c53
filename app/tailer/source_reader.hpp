#pragma once

// The source reader: one per peer, spawned detached (its own thread), the
// only code that talks to that peer's source Redis. Every call it makes
// blocks, which is why no CAF scheduler thread ever runs it.

#include <cstdint>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "tailer/atoms.hpp"
#include "tailer/endpoint.hpp"
#include "tailer/stream_types.hpp"

namespace cursor::tailer {

/// Where and how a reader reads.
struct source_options {
  endpoint where;
  std::string stream;
  /// Entries per read (XREAD COUNT).
  uint32_t count = 500;
  /// How long a read waits for a new entry when there is none (XREAD BLOCK).
  caf::timespan block = std::chrono::seconds(1);
  caf::timespan connect_timeout = std::chrono::seconds(2);
  /// How long a reply may take, on top of `block` for the blocking read.
  caf::timespan io_timeout = std::chrono::seconds(5);
};

using source_reader_actor = caf::typed_actor<
    /// read(after, position): up to `count` entries with IDs above `after`
    /// together with the stream's state and its entry `position` (unless
    /// `position` is `0`) at the same instant, from one MULTI / XINFO STREAM /
    /// XRANGE position position / XREAD / EXEC transaction, so that the state
    /// describes exactly the stream the entries were read from (the source
    /// check relies on it). When there is nothing above `after`, first waits
    /// up to `block` for a new entry (XREAD BLOCK), then reads again; the
    /// answer may be empty. A missing stream answers `info.exists == false`,
    /// a key of another type also `wrong_type` (at once, without waiting).
    /// Connects (again) when needed. Errors: redis_unreachable, redis_io (the
    /// connection is dropped and the next read reconnects), redis_error (e.g.
    /// OOM, a command refused), redis_protocol.
    caf::replies_to<read_atom, std::string, std::string>::with<read_result>>;

/// Spawns a reader; `detached` (production) gives it its own thread. No
/// connection is made before the first read.
source_reader_actor spawn_source_reader(caf::actor_system& sys,
                                        source_options opts, bool detached);

} // namespace cursor::tailer
