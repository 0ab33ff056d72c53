#include "common/host_config.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>
#include <string_view>
#include <vector>

#include <caf/config_option_adder.hpp>
#include <caf/config_value.hpp>
#include <caf/io/middleman.hpp>
#include <caf/settings.hpp>

#include "common/config_check.hpp"
#include "common/defaults.hpp"
#include "common/descriptor_limit.hpp"
#include "common/program.hpp"
#include "common/program_help.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/register_types.hpp"

namespace cursor::app {

namespace {

constexpr std::array<std::string_view, 7> log_levels{
    "trace", "debug", "info", "warn", "error", "critical", "off",
};

using ms = std::chrono::milliseconds;

// The HTTP endpoint's options; `timeout` and `address` as read. Returns an
// empty string or "<key>: <reason>".
std::string read_http_options(const caf::settings& content,
                              const std::string& group,
                              const std::string& address, caf::timespan timeout,
                              host_options& opts) {
  auto key = [&](const char* name) { return group + "." + name; };
  if (address.empty()) {
    // The limits would silently configure nothing.
    for (auto name : {"http-timeout", "http-max-connections"})
      if (caf::get_if(&content, key(name)) != nullptr)
        return key(name) + ": only with " + key("http-address");
    return {};
  }
  endpoint where;
  if (auto err = parse_endpoint(address, where, port_rule::any_allowed);
      !err.empty())
    return key("http-address") + ": '" + address + "': " + err;
  opts.http_address = where;
  if (timeout < std::chrono::seconds(1) || timeout > std::chrono::hours(1)
      || timeout % std::chrono::seconds(1) != caf::timespan::zero())
    return key("http-timeout") + ": must be whole seconds from 1s to 1h";
  opts.http_timeout = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  // Every connection takes a descriptor: the store, the BASP port and the
  // tailer's Redis connections need the rest.
  auto limit = descriptor_limit();
  auto most = std::max<uint64_t>(1, limit / 4);
  if (opts.http_max_connections < 1 || opts.http_max_connections > most)
    return key("http-max-connections") + ": must be from 1 to "
           + std::to_string(most) + " (a quarter of the descriptor limit "
           + std::to_string(limit) + ")";
  return {};
}

} // namespace

host_config::host_config(program& prog) : program_(prog) {
  const auto& traits = program_.traits();
  load<caf::io::middleman>();
  cursor::add_options(custom_options_);
  caf::config_option_adder group{custom_options_, traits.group};
  program_.declare_options(group);
  group.add<caf::timespan>("request-timeout", traits.request_timeout_help)
      .add<caf::timespan>("shutdown-timeout",
                          "first signal to exit, at most (10s)")
      .add<std::string>("log-level",
                        "trace|debug|info|warn|error|critical|off (info)")
      .add<std::string>("metrics-file",
                        "Prometheus textfile to rewrite, \"\" = none (\"\")")
      .add<caf::timespan>("metrics-interval",
                          "how often the metrics are refreshed and the "
                          "file rewritten (5s)")
      .add<std::string>("http-address",
                        "host:port of the HTTP endpoint (/metrics, "
                        "/healthz, /readyz), port 0 = any free port, "
                        "\"\" = none (\"\")")
      .add<caf::timespan>("http-timeout",
                          "an HTTP request must be answered within this "
                          "time of its connection's opening (10s)")
      .add<uint32_t>("http-max-connections",
                     "HTTP connections at once, a quarter per IP (32)")
      .add<std::string>("lock-file", "lock file of the database, \"\" = "
                                     "<cursor.db-path>.lock (\"\")");
  caf::config_option_adder{custom_options_, "tls"}
      .add<std::string>("certificate",
                        "PEM certificate (chain); with key and ca-file: "
                        "mutual TLS (\"\" = plain BASP)")
      .add<std::string>("key", "PEM private key of the certificate (\"\")")
      .add<std::string>("ca-file",
                        "PEM CA certificate(s) the peer's certificate must "
                        "be signed by (\"\")")
      .add<std::string>("passphrase", "decrypts the key, if encrypted (\"\")")
      .add<std::string>("passphrase-file",
                        "file whose first line decrypts the key (\"\")");
  cursor::register_types(*this);
  program_.configure(*this);
}

config_outcome host_config::read(int argc, char** argv) {
  config_outcome result;
  const auto& traits = program_.traits();
  const auto& info = traits.info;
  if (print_help_or_version(argc, argv, info, custom_options_, std::cout)) {
    result.printed_help = true;
    return result;
  }
  if (auto err = parse(argc, argv, info.default_config_file.c_str())) {
    result.error = render_parse_error(err, config_file_path);
    return result;
  }
  if (cli_helptext_printed) {
    result.printed_help = true;
    return result;
  }
  if (!remainder.empty()) {
    result.error = "unexpected argument '" + remainder.front()
                   + "' (options look like " + info.example_option + ")";
    return result;
  }
  // A missing default file is fine; a missing --config-file was refused by
  // parse() already.
  if (std::ifstream probe{config_file_path}; probe.good()) {
    probe.close();
    if (auto raw = parse_config_file(config_file_path.c_str())) {
      if (auto err = program_.check_file(*raw); !err.empty()) {
        result.error = err + " (in '" + config_file_path + "')";
        return result;
      }
    }
    if (auto err = check_config_file(custom_options_, config_file_path);
        !err.empty()) {
      result.error = std::move(err);
      return result;
    }
  }
  host_options opts;
  opts.request_timeout = traits.request_timeout;
  const auto group = traits.group + ".";
  auto key = [&](const char* name) { return group + name; };
  auto bad = [&](const std::string& name, const std::string& reason) {
    result.error = "invalid configuration: " + name + ": " + reason;
    return result;
  };
  // Values set on the command line were type-checked by CAF, values from
  // the INI file above: get_or falls back to the defaults for unset keys
  // only.
  opts.log_level = caf::get_or(content, key("log-level"), opts.log_level);
  opts.shutdown_timeout
      = caf::get_or(content, key("shutdown-timeout"), opts.shutdown_timeout);
  opts.request_timeout
      = caf::get_or(content, key("request-timeout"), opts.request_timeout);
  opts.metrics_file
      = caf::get_or(content, key("metrics-file"), opts.metrics_file);
  opts.metrics_interval
      = caf::get_or(content, key("metrics-interval"), opts.metrics_interval);
  opts.lock_file = caf::get_or(content, key("lock-file"), opts.lock_file);
  auto http_address = caf::get_or(content, key("http-address"), std::string{});
  auto http_timeout = caf::get_or(content, key("http-timeout"),
                                  caf::timespan{opts.http_timeout});
  opts.http_max_connections = caf::get_or(content, key("http-max-connections"),
                                          opts.http_max_connections);
  if (std::find(log_levels.begin(), log_levels.end(), opts.log_level)
      == log_levels.end())
    return bad(key("log-level"), "'" + opts.log_level
                                     + "' is not one of trace, debug, info, "
                                       "warn, error, critical, off");
  if (opts.shutdown_timeout.count() <= 0)
    return bad(key("shutdown-timeout"), "must be positive");
  if (opts.request_timeout < ms(10))
    return bad(key("request-timeout"), "must be at least 10ms");
  if (opts.metrics_interval < ms(100))
    return bad(key("metrics-interval"), "must be at least 100ms");
  if (auto err = read_http_options(content, traits.group, http_address,
                                   http_timeout, opts);
      !err.empty()) {
    result.error = "invalid configuration: " + err;
    return result;
  }
  program_choices choices;
  if (auto err = program_.read_options(*this, choices); !err.empty()) {
    result.error = std::move(err);
    return result;
  }
  if (opts.shutdown_timeout < 2 * choices.stop_notice)
    return bad(key("shutdown-timeout"),
               "must be at least twice " + choices.stop_notice_key
                   + " (a stop may take that long to be noticed)");
  if (choices.embedded_store) {
    auto store = cursor::read_options(*this);
    if (!store) {
      result.error = "invalid configuration: " + cursor::render(store.error());
      return result;
    }
    opts.store = std::move(*store);
    if (opts.lock_file.empty())
      opts.lock_file = opts.store->storage.db_path + ".lock";
  } else {
    // The store's options would silently configure nothing.
    const caf::settings* cursor_group = nullptr;
    if (auto x = caf::get_if(&content, "cursor"))
      cursor_group = caf::get_if<caf::settings>(x);
    if (cursor_group != nullptr && !cursor_group->empty())
      return bad("cursor." + cursor_group->begin()->first,
                 "the cursor.* options configure the embedded store, but "
                     + choices.remote_store);
    if (!opts.lock_file.empty())
      return bad(key("lock-file"), "only for the embedded store");
  }
  opts.tls.certificate
      = caf::get_or(content, "tls.certificate", opts.tls.certificate);
  opts.tls.key = caf::get_or(content, "tls.key", opts.tls.key);
  opts.tls.ca_file = caf::get_or(content, "tls.ca-file", opts.tls.ca_file);
  opts.tls.passphrase
      = caf::get_or(content, "tls.passphrase", opts.tls.passphrase);
  auto passphrase_file
      = caf::get_or(content, "tls.passphrase-file", std::string{});
  // CAF's own openssl.* options would be ignored (the openssl module is
  // loaded only with tls.*, and then from tls.*): refuse rather than run
  // without the TLS the operator asked for.
  if (caf_openssl_options_set(*this)) {
    result.error = "invalid configuration: CAF's openssl.* options are not "
                   "used by "
                   + info.name
                   + "; set tls.certificate, tls.key, tls.ca-file (and "
                     "tls.passphrase or tls.passphrase-file) instead";
    return result;
  }
  const char* passphrase_name = "tls.passphrase";
  if (!passphrase_file.empty()) {
    if (!opts.tls.passphrase.empty())
      return bad("tls.passphrase-file", "set tls.passphrase or "
                                        "tls.passphrase-file, not both");
    passphrase_name = "tls.passphrase-file";
    if (auto err = read_passphrase_file(passphrase_file, opts.tls.passphrase);
        !err.empty())
      return bad("tls.passphrase-file", "'" + passphrase_file + "' " + err);
  }
  if (opts.tls.any()) {
    if (!choices.tls_refusal.empty())
      return bad("tls", choices.tls_refusal);
    tls_option_names names{"tls.certificate", "tls.key", "tls.ca-file",
                           passphrase_name};
    auto checked = check_tls_files(opts.tls, names, traits.tls);
    if (!checked.error.empty()) {
      result.error = "invalid configuration: " + checked.error;
      return result;
    }
    result.tls_summary = std::move(checked.summary);
    result.tls_warning = std::move(checked.warning);
    enable_tls(*this, checked.caf_files);
  }
  // A program and its clients must share the identifier; an operator cannot
  // override it (that would only make every handshake fail).
  set("middleman.app-identifiers", std::vector<std::string>{app_identifier});
  result.options = std::move(opts);
  return result;
}

} // namespace cursor::app
