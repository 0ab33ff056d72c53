#pragma once

// The node's configuration: CAF's config system with the library's `cursor.*`
// options plus the node's own `node.*` group, and the checks CAF does not do.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>

#include "common/defaults.hpp"
#include "common/tls.hpp"
#include "cursor_actor/options.hpp"

namespace cursor::node {

/// Everything the node reads from its configuration, validated.
struct node_options {
  /// The store's options (`cursor.*`).
  cursor_options store;
  /// `node.bind-address`: the address the front actor is published on.
  std::string bind_address = "127.0.0.1";
  /// `node.port`: 0 picks a free port (the log line names the real one).
  uint16_t port = app::default_port;
  /// `node.shutdown-timeout`: from the first signal to the exit.
  caf::timespan shutdown_timeout = std::chrono::seconds(10);
  /// `node.request-timeout`: how long the front waits for the store.
  caf::timespan request_timeout = std::chrono::seconds(30);
  /// `node.log-level`: trace, debug, info, warn, error, critical, off.
  std::string log_level = "info";
  /// `node.metrics-file`: Prometheus textfile; empty = no file.
  std::string metrics_file;
  /// `node.metrics-interval`: how often the metrics file is rewritten.
  caf::timespan metrics_interval = std::chrono::seconds(5);
  /// `node.lock-file`: empty = `<cursor.db-path>.lock`.
  std::string lock_file;
  /// `node.backup-dir`: where `cursorctl backup NAME` writes; empty =
  /// backups disabled. read() makes it absolute (realpath) and checks that
  /// it is a writable directory.
  std::string backup_dir;
  /// `tls.certificate`, `tls.key`, `tls.ca-file`, `tls.passphrase`: mutual
  /// TLS when the first three are set (checked by read()), plain BASP when
  /// none is.
  app::tls_files tls;
};

/// The outcome of reading the configuration.
struct config_outcome {
  /// Set when the node should run.
  std::optional<node_options> options;
  /// Set when `--help`, `--version`, `--long-help` or `--dump-config`
  /// printed something: exit 0 without starting.
  bool printed_help = false;
  /// One readable line when the configuration is refused.
  std::string error;
  /// With TLS on: one line describing the node's certificate, and a warning
  /// when it does not verify against the CA file (for the log).
  std::string tls_summary;
  std::string tls_warning;
};

/// CAF's config with the node's options declared, the protocol's types
/// registered, the middleman loaded and the application identifier set.
class node_config : public caf::actor_system_config {
public:
  node_config();

  /// Parses the command line and the INI file (`--config-file=PATH`, default
  /// `cursor_node.ini` in the working directory if it exists), then checks
  /// what CAF lets through silently: unknown keys in the INI file, values of
  /// the wrong type there (CAF drops them and keeps the default), stray
  /// arguments, out-of-range values. With TLS configured it also checks the
  /// certificate, key and CA files (see app::check_tls_files()), then loads
  /// `caf::openssl::manager` and hands CAF private copies of the files.
  config_outcome read(int argc, char** argv);
};

} // namespace cursor::node
