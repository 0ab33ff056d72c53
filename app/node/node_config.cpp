#include "node/node_config.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>
#include <string_view>
#include <vector>

#include <caf/config_option_adder.hpp>
#include <caf/config_value.hpp>
#include <caf/io/middleman.hpp>
#include <caf/pec.hpp>
#include <caf/sec.hpp>
#include <caf/settings.hpp>

#include "cursor_actor/error.hpp"
#include "cursor_actor/register_types.hpp"
#include "node/node_help.hpp"

namespace cursor::node {

namespace {

constexpr const char* default_config_file = "cursor_node.ini";

constexpr std::array<std::string_view, 7> log_levels{
    "trace", "debug", "info", "warn", "error", "critical", "off",
};

// CAF's parser errors carry a dictionary with either the offending command
// line argument or the line and column in the INI file.
std::string render_parse_error(const caf::error& err,
                               const std::string& config_file) {
  if (err.category() == caf::atom("parser")) {
    auto code = static_cast<caf::pec>(err.code());
    const auto& ctx = err.context();
    std::string argument;
    std::string position;
    if (ctx.match_elements<caf::config_value::dictionary>()) {
      const auto& dict = ctx.get_as<caf::config_value::dictionary>(0);
      if (auto i = dict.find("argument"); i != dict.end())
        if (auto str = caf::get_if<std::string>(&i->second))
          argument = *str;
      auto line = dict.find("line");
      auto column = dict.find("column");
      if (line != dict.end() && column != dict.end())
        position = "line " + caf::to_string(line->second) + ", column "
                   + caf::to_string(column->second);
    }
    if (!position.empty())
      return "syntax error in config file '" + config_file + "' at " + position
             + " (" + caf::to_string(code)
             + "; note that strings must be quoted)";
    switch (code) {
      case caf::pec::not_an_option:
        return "unknown option '" + argument + "' (see --long-help)";
      case caf::pec::missing_argument:
        return "option '" + argument + "' needs a value";
      default:
        return "invalid value in '" + argument + "' (" + caf::to_string(code)
               + ")";
    }
  }
  if (err.category() == caf::atom("system")
      && err.code() == static_cast<uint8_t>(caf::sec::cannot_open_file))
    return "cannot read config file '" + config_file + "'";
  return "invalid configuration: " + caf::to_string(err);
}

std::string quoted_value(const caf::config_value& x) {
  auto str = caf::to_string(x);
  if (str.size() > 80)
    str = str.substr(0, 77) + "...";
  return str;
}

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
      .add<std::string>("lock-file", "lock file, \"\" = <db-path>.lock (\"\")");
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

std::string node_config::check_config_file(const std::string& path) const {
  // Re-read the file without type checks: CAF keeps unknown keys silently
  // and drops values of the wrong type silently (falling back to the
  // default), so compare every entry against the declared options here.
  auto raw = parse_config_file(path.c_str());
  if (!raw)
    return render_parse_error(raw.error(), path);
  auto check = [&](const std::string& group, const std::string& key,
                   const caf::config_value& value) -> std::string {
    auto name = group == "global" ? key : group + "." + key;
    auto opt = custom_options_.qualified_name_lookup(group, key);
    if (opt == nullptr)
      return "unknown option '" + name + "' in config file '" + path
             + "' (see --long-help)";
    if (opt->check(value))
      return "option '" + name + "' in config file '" + path
             + "' has the wrong type or is out of range: expected "
             + std::string{opt->type_name().begin(), opt->type_name().end()}
             + ", got " + quoted_value(value)
             + " (strings must be quoted, durations need a unit)";
    return {};
  };
  for (const auto& [group, value] : *raw) {
    if (auto dict = caf::get_if<caf::settings>(&value)) {
      for (const auto& [key, inner] : *dict)
        if (auto err = check(group, key, inner); !err.empty())
          return err;
    } else if (auto err = check("global", group, value); !err.empty()) {
      return err;
    }
  }
  return {};
}

config_outcome node_config::read(int argc, char** argv) {
  config_outcome result;
  if (print_help_or_version(argc, argv, custom_options_, std::cout)) {
    result.printed_help = true;
    return result;
  }
  if (auto err = parse(argc, argv, default_config_file)) {
    result.error = render_parse_error(err, config_file_path);
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
    if (auto err = check_config_file(config_file_path); !err.empty()) {
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
