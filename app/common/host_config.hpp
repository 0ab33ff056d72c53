#pragma once

// The configuration of a hosted program: CAF's config system (defaults < INI
// file < command line) with the library's `cursor.*` options, the program's
// group holding its own options and the host's, `tls.*`, and every check CAF
// does not do.

#include <optional>
#include <string>

#include <caf/actor_system_config.hpp>

#include "common/host_options.hpp"

namespace cursor::app {

class program;

/// The outcome of reading the configuration.
struct config_outcome {
  /// Set when the program should run.
  std::optional<host_options> options;
  /// Set when `--help`, `--version`, `--long-help` or `--dump-config`
  /// printed something: exit 0 without starting.
  bool printed_help = false;
  /// One readable line when the configuration is refused.
  std::string error;
  /// With TLS on: one line describing the certificate, and a warning when
  /// it does not verify against the CA file (for the log).
  std::string tls_summary;
  std::string tls_warning;
};

/// CAF's config with the program's options declared, the store's types
/// registered, the middleman loaded and the application identifier set.
class host_config : public caf::actor_system_config {
public:
  /// Declares `cursor.*`, the program's group (its own options, then the
  /// host's: log-level, shutdown-timeout, request-timeout, metrics-file,
  /// metrics-interval, lock-file) and `tls.*`. `prog` must outlive this.
  explicit host_config(program& prog);

  /// Parses the command line and the INI file (`--config-file=PATH`, default
  /// the program's INI file in the working directory if it exists) and
  /// refuses what CAF lets through silently: a key or section given twice
  /// in the INI file, unknown keys there, values of the wrong type there
  /// (CAF drops them and keeps the default), stray arguments, values out of
  /// range; then the program's own checks. Without an embedded store it
  /// refuses `cursor.*` and the lock file; where the program allows TLS it
  /// checks the files (app::check_tls_files()), loads caf::openssl::manager
  /// and hands CAF private copies of them.
  config_outcome read(int argc, char** argv);

private:
  program& program_;
};

} // namespace cursor::app
