#pragma once

// The tailer's own options: its peers, the target, a remote node, the Redis
// timeouts and the backoff (`tailer.*` beyond what the process host reads,
// common/host_config.hpp). docs/TAILER.md lists every option.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/config_value.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "tailer/endpoint.hpp"

namespace cursor::tailer {

/// One entry of `tailer.peers`.
struct peer_options {
  /// `id`: the peer's ID, the key of its cursor.
  std::string id;
  /// `source`: "host:port" of the peer's Redis.
  endpoint source;
  /// `stream`: the key of the peer's stream there.
  std::string stream;
  /// `target-stream`: the key written on the target Redis; default
  /// "<stream>:<id>".
  std::string target_stream;
};

/// The tailer's own options (`tailer.*` beyond the host's), validated. The
/// host reads the rest: log level, timeouts, metrics, lock file, `cursor.*`
/// and `tls.*` (common/host_config.hpp).
struct tailer_options {
  std::vector<peer_options> peers;
  /// `tailer.target`: the Redis every peer's entries are written to.
  endpoint target{"127.0.0.1", 6379};
  /// `tailer.node`: a remote cursor_node; unset = the embedded store.
  std::optional<endpoint> node;
  /// `tailer.batch-size`: entries per read (XREAD COUNT).
  uint32_t batch_size = 500;
  /// `tailer.block`: how long a read waits for new entries (XREAD BLOCK).
  caf::timespan block = std::chrono::seconds(1);
  /// `tailer.connect-timeout`: connecting to a Redis.
  caf::timespan connect_timeout = std::chrono::seconds(2);
  /// `tailer.io-timeout`: waiting for a Redis reply (beyond `block`).
  caf::timespan io_timeout = std::chrono::seconds(5);
  /// `tailer.retry-base-delay`, `tailer.retry-max-delay`: backoff after a
  /// failure of a source, the target or the store.
  caf::timespan retry_base_delay = std::chrono::milliseconds(100);
  caf::timespan retry_max_delay = std::chrono::seconds(5);
  /// `tailer.allow-gaps`: continue after a gap, a replaced or an ambiguous
  /// source instead of stopping the peer.
  bool allow_gaps = false;
};

/// Declares the tailer's own options in its group.
void declare_tailer_options(caf::config_option_adder& group);

/// Checks `tailer.peers` in the INI file's raw content, before the host's
/// check of every key, so that the refusal names the entry. Returns an
/// empty string or one line.
std::string check_tailer_file(const caf::settings& file);

/// Reads and validates the tailer's options from `cfg` into `out`. Returns
/// an empty string or one line ("invalid configuration: ...").
std::string read_tailer_options(const caf::actor_system_config& cfg,
                                tailer_options& out);

/// Reads `tailer.peers` from a config value: a list of dictionaries with the
/// string keys `id`, `source`, `stream` and optionally `target-stream`.
/// Refuses unknown keys, values that are not strings, invalid peer IDs and
/// endpoints, duplicate peer IDs, and two peers writing one target stream.
/// Returns an empty string or one readable line.
std::string parse_peers(const caf::config_value& value, const endpoint& target,
                        std::vector<peer_options>& out);

} // namespace cursor::tailer
