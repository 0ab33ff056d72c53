#pragma once

// The baseline of the tailer benchmark: the same work as one pipeline of
// cursor_tailer (XREAD COUNT n after the last ID -> XADD every entry with its
// own ID to the target, pipelined), in a plain loop on one thread, without
// actors and without a cursor store.

#include <cstdint>
#include <string>

namespace bench {

/// Copies the first `expected` entries of `source_key` on the Redis at
/// `source_port` into `target_key` on `target_port`, `batch` at a time.
/// Returns the number of entries written. Throws on any Redis error.
uint64_t bare_copy(uint16_t source_port, const std::string& source_key,
                   uint16_t target_port, const std::string& target_key,
                   uint32_t batch, uint64_t expected);

} // namespace bench
