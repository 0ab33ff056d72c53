#pragma once

// What the process host reads for every program (host_config.hpp), from the
// program's own group (`node.*`, `tailer.*`), `cursor.*` and `tls.*`.

#include <chrono>
#include <optional>
#include <string>

#include <caf/timespan.hpp>

#include "common/tls.hpp"
#include "cursor_actor/options.hpp"

namespace cursor::app {

/// The host's options, validated. `<group>` is the program's group.
struct host_options {
  /// `<group>.log-level`: trace, debug, info, warn, error, critical, off.
  std::string log_level = "info";
  /// `<group>.shutdown-timeout`: from the first signal to the exit.
  caf::timespan shutdown_timeout = std::chrono::seconds(10);
  /// `<group>.request-timeout`: how long the host and the program wait for
  /// the store (the default is the program's).
  caf::timespan request_timeout = std::chrono::seconds(10);
  /// `<group>.metrics-file`: Prometheus textfile; empty = no file.
  std::string metrics_file;
  /// `<group>.metrics-interval`: how often the metrics are refreshed (and
  /// the file rewritten).
  caf::timespan metrics_interval = std::chrono::seconds(5);
  /// `cursor.*`: set when the process hosts the store (the embedded store);
  /// unset when the program uses one elsewhere (the tailer's `tailer.node`).
  std::optional<cursor_options> store;
  /// `<group>.lock-file`, with an embedded store only: empty in the
  /// configuration means `<cursor.db-path>.lock`, filled in here.
  std::string lock_file;
  /// `tls.certificate`, `tls.key`, `tls.ca-file`, and the passphrase from
  /// `tls.passphrase` or the first line of `tls.passphrase-file`: mutual
  /// TLS when the three files are set, none when nothing is.
  tls_files tls;
};

} // namespace cursor::app
