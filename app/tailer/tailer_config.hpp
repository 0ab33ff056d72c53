#pragma once

// The tailer's configuration: CAF's config system (defaults < INI file <
// command line) with the library's `cursor.*` options for the embedded store,
// the tailer's `tailer.*` group and `tls.*` for a remote node, plus the
// checks CAF does not do (unknown keys, values of the wrong type, ranges).
// docs/TAILER.md lists every option.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>

#include "common/tls.hpp"
#include "cursor_actor/options.hpp"
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

/// Everything the tailer reads from its configuration, validated.
struct tailer_options {
  std::vector<peer_options> peers;
  /// `tailer.target`: the Redis every peer's entries are written to.
  endpoint target{"127.0.0.1", 6379};
  /// `tailer.node`: a remote cursor_node; unset = the embedded store.
  std::optional<endpoint> node;
  /// `cursor.*`: the embedded store (refused with `tailer.node`).
  cursor_options store;
  /// `tailer.lock-file`: embedded store only; "" = "<cursor.db-path>.lock".
  std::string lock_file;
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
  /// `tailer.request-timeout`: waiting for the store (and for connecting to
  /// a remote node).
  caf::timespan request_timeout = std::chrono::seconds(10);
  /// `tailer.allow-gaps`: continue after a gap instead of stopping the peer.
  bool allow_gaps = false;
  /// `tailer.log-level`.
  std::string log_level = "info";
  /// `tailer.metrics-file`, `tailer.metrics-interval`: Prometheus textfile.
  std::string metrics_file;
  caf::timespan metrics_interval = std::chrono::seconds(5);
  /// `tailer.shutdown-timeout`: from the first signal to the exit.
  caf::timespan shutdown_timeout = std::chrono::seconds(10);
  /// `tls.*`: mutual TLS to the remote node (all three files or none).
  app::tls_files tls;
};

/// The outcome of reading the configuration.
struct config_outcome {
  std::optional<tailer_options> options;
  /// `--help`, `--long-help` or `--dump-config` printed something.
  bool printed_help = false;
  /// One readable line when the configuration is refused.
  std::string error;
  /// With TLS: the certificate's description and a warning, for the log.
  std::string tls_summary;
  std::string tls_warning;
};

/// CAF's config with the tailer's options declared, the store's types and
/// both error categories registered, and the middleman loaded (for a remote
/// node).
class tailer_config : public caf::actor_system_config {
public:
  tailer_config();

  /// Parses the command line and the INI file (`--config-file=PATH`,
  /// default `cursor_tailer.ini` in the working directory if it exists) and
  /// validates the result. With TLS it checks the files and switches CAF to
  /// caf::openssl.
  config_outcome read(int argc, char** argv);
};

/// Reads `tailer.peers` from a config value: a list of dictionaries with the
/// string keys `id`, `source`, `stream` and optionally `target-stream`.
/// Refuses unknown keys, values that are not strings, invalid peer IDs and
/// endpoints, duplicate peer IDs, and two peers writing one target stream.
/// Returns an empty string or one readable line.
std::string parse_peers(const caf::config_value& value, const endpoint& target,
                        std::vector<peer_options>& out);

} // namespace cursor::tailer
