#include "node/node_config.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string_view>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <caf/config_option_adder.hpp>
#include <caf/config_value.hpp>
#include <caf/io/middleman.hpp>
#include <caf/settings.hpp>

#include "common/config_check.hpp"
#include "common/program_help.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/register_types.hpp"

namespace cursor::node {

namespace {

constexpr const char* default_config_file = "cursor_node.ini";

constexpr std::array<std::string_view, 7> log_levels{
    "trace", "debug", "info", "warn", "error", "critical", "off",
};

} // namespace

node_config::node_config() {
  load<caf::io::middleman>();
  cursor::add_options(custom_options_);
  caf::config_option_adder{custom_options_, "node"}
      .add<std::string>("bind-address",
                        "address to publish on (127.0.0.1; \"\" = all)")
      .add<uint16_t>("port", "port to publish on, 0 = any free port (4242)")
      .add<caf::timespan>("shutdown-timeout",
                          "first signal to exit, at most (10s)")
      .add<caf::timespan>("request-timeout",
                          "how long the front waits for the store (30s)")
      .add<std::string>("log-level",
                        "trace|debug|info|warn|error|critical|off (info)")
      .add<std::string>("metrics-file",
                        "Prometheus textfile to rewrite, \"\" = none (\"\")")
      .add<caf::timespan>("metrics-interval",
                          "how often the metrics file is rewritten (5s)")
      .add<std::string>("lock-file", "lock file, \"\" = <db-path>.lock (\"\")")
      .add<std::string>("backup-dir",
                        "directory of online backups (cursorctl backup "
                        "NAME), \"\" = backups disabled (\"\")");
  caf::config_option_adder{custom_options_, "tls"}
      .add<std::string>("certificate",
                        "PEM certificate of the node; with key and ca-file: "
                        "mutual TLS (\"\" = plain BASP)")
      .add<std::string>("key", "PEM private key of the certificate (\"\")")
      .add<std::string>("ca-file",
                        "PEM CA certificate(s) client certificates must be "
                        "signed by (\"\")")
      .add<std::string>("passphrase", "decrypts the key, if encrypted (\"\")");
  cursor::register_types(*this);
}

config_outcome node_config::read(int argc, char** argv) {
  config_outcome result;
  static const app::program_info info{
      "cursor_node",
      default_config_file,
      "Hosts a cursor store and publishes it to CAF peers and cursorctl\n"
      "(docs/NODE.md).\n",
      {"cursor", "node", "tls"},
      "--node.port=4242",
      "0 stopped cleanly, 1 configuration refused, 2 database or port\n"
      "unusable, 3 final flush failed, 4 shutdown deadline passed "
      "(docs/NODE.md)"};
  if (app::print_help_or_version(argc, argv, info, custom_options_,
                                 std::cout)) {
    result.printed_help = true;
    return result;
  }
  if (auto err = parse(argc, argv, default_config_file)) {
    result.error = app::render_parse_error(err, config_file_path);
    return result;
  }
  if (cli_helptext_printed) {
    result.printed_help = true;
    return result;
  }
  if (!remainder.empty()) {
    result.error = "unexpected argument '" + remainder.front()
                   + "' (options look like --node.port=4242)";
    return result;
  }
  // A missing default file is fine; a missing --config-file was refused by
  // parse() already.
  if (std::ifstream probe{config_file_path}; probe.good()) {
    probe.close();
    if (auto err = app::check_config_file(custom_options_, config_file_path);
        !err.empty()) {
      result.error = std::move(err);
      return result;
    }
  }
  auto store = cursor::read_options(*this);
  if (!store) {
    result.error = "invalid configuration: " + cursor::render(store.error());
    return result;
  }
  node_options opts;
  opts.store = std::move(*store);
  // Values set from the command line were type-checked by CAF, values from
  // the INI file above: get_or only falls back to defaults for unset keys.
  opts.bind_address
      = caf::get_or(content, "node.bind-address", opts.bind_address);
  opts.port = caf::get_or(content, "node.port", opts.port);
  opts.shutdown_timeout
      = caf::get_or(content, "node.shutdown-timeout", opts.shutdown_timeout);
  opts.request_timeout
      = caf::get_or(content, "node.request-timeout", opts.request_timeout);
  opts.log_level = caf::get_or(content, "node.log-level", opts.log_level);
  opts.metrics_file
      = caf::get_or(content, "node.metrics-file", opts.metrics_file);
  opts.metrics_interval
      = caf::get_or(content, "node.metrics-interval", opts.metrics_interval);
  opts.lock_file = caf::get_or(content, "node.lock-file", opts.lock_file);
  opts.backup_dir = caf::get_or(content, "node.backup-dir", opts.backup_dir);
  auto bad = [&](const char* key, const std::string& reason) {
    result.error
        = std::string{"invalid configuration: node."} + key + ": " + reason;
    return result;
  };
  if (std::find(log_levels.begin(), log_levels.end(), opts.log_level)
      == log_levels.end())
    return bad("log-level", "'" + opts.log_level
                                + "' is not one of trace, debug, info, warn, "
                                  "error, critical, off");
  if (opts.shutdown_timeout.count() <= 0)
    return bad("shutdown-timeout", "must be positive");
  if (opts.request_timeout.count() <= 0)
    return bad("request-timeout", "must be positive");
  if (opts.metrics_interval < std::chrono::milliseconds(100))
    return bad("metrics-interval", "must be at least 100ms");
  if (opts.lock_file.empty())
    opts.lock_file = opts.store.storage.db_path + ".lock";
  if (!opts.backup_dir.empty()) {
    // Resolved once: the front joins names to it, and the log names it.
    char* real = ::realpath(opts.backup_dir.c_str(), nullptr);
    if (real == nullptr)
      return bad("backup-dir",
                 "'" + opts.backup_dir + "': " + std::strerror(errno));
    std::string resolved{real};
    std::free(real);
    struct stat info {};
    if (::stat(resolved.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
      return bad("backup-dir", "'" + opts.backup_dir + "' is not a directory");
    if (::access(resolved.c_str(), W_OK | X_OK) != 0)
      return bad("backup-dir", "'" + opts.backup_dir + "' is not writable: "
                                   + std::strerror(errno));
    opts.backup_dir = std::move(resolved);
  }
  opts.tls.certificate
      = caf::get_or(content, "tls.certificate", opts.tls.certificate);
  opts.tls.key = caf::get_or(content, "tls.key", opts.tls.key);
  opts.tls.ca_file = caf::get_or(content, "tls.ca-file", opts.tls.ca_file);
  opts.tls.passphrase
      = caf::get_or(content, "tls.passphrase", opts.tls.passphrase);
  // CAF's own openssl.* options would be ignored (the openssl module is
  // loaded only with tls.*, and then from tls.*): refuse rather than run
  // without the TLS the operator asked for.
  if (app::caf_openssl_options_set(*this)) {
    result.error = "invalid configuration: CAF's openssl.* options are not "
                   "used by cursor_node; set tls.certificate, tls.key, "
                   "tls.ca-file (and tls.passphrase) instead";
    return result;
  }
  if (opts.tls.any()) {
    app::tls_option_names names{"tls.certificate", "tls.key", "tls.ca-file",
                                "tls.passphrase"};
    auto checked = app::check_tls_files(opts.tls, names, app::tls_role::server);
    if (!checked.error.empty()) {
      result.error = "invalid configuration: " + checked.error;
      return result;
    }
    result.tls_summary = std::move(checked.summary);
    result.tls_warning = std::move(checked.warning);
    app::enable_tls(*this, checked.caf_files);
  }
  // The node and its clients must share the identifier; an operator cannot
  // override it (that would only make every client fail the handshake).
  set("middleman.app-identifiers",
      std::vector<std::string>{app::app_identifier});
  result.options = std::move(opts);
  return result;
}

} // namespace cursor::node
