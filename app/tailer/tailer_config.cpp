#include "tailer/tailer_config.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <set>
#include <string_view>

#include <caf/config_option_adder.hpp>
#include <caf/config_value.hpp>
#include <caf/io/middleman.hpp>
#include <caf/settings.hpp>

#include "common/config_check.hpp"
#include "common/defaults.hpp"
#include "common/program_help.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/peer_id.hpp"
#include "cursor_actor/register_types.hpp"
#include "tailer/error.hpp"

namespace cursor::tailer {

namespace {

constexpr const char* default_config_file = "cursor_tailer.ini";

constexpr std::array<std::string_view, 7> log_levels{
    "trace", "debug", "info", "warn", "error", "critical", "off",
};

using ms = std::chrono::milliseconds;

} // namespace

tailer_config::tailer_config() {
  load<caf::io::middleman>();
  cursor::add_options(custom_options_);
  caf::config_option_adder{custom_options_, "tailer"}
      .add<std::vector<std::map<std::string, std::string>>>(
          "peers",
          "the peers: [{id=\"...\", source=\"host:port\", stream=\"key\", "
          "target-stream=\"key\"}, ...]")
      .add<std::string>("target",
                        "Redis to write to, host:port (127.0.0.1:6379)")
      .add<std::string>("node",
                        "remote cursor_node, host:port; \"\" = embedded store "
                        "(\"\")")
      .add<std::string>("lock-file",
                        "embedded store's lock file, \"\" = <db-path>.lock")
      .add<uint32_t>("batch-size", "entries per read, XREAD COUNT (500)")
      .add<caf::timespan>("block", "how long a read waits for new entries (1s)")
      .add<caf::timespan>("connect-timeout", "connecting to a Redis (2s)")
      .add<caf::timespan>("io-timeout", "waiting for a Redis reply (5s)")
      .add<caf::timespan>("retry-base-delay", "first delay after a failure "
                                              "(100ms)")
      .add<caf::timespan>("retry-max-delay",
                          "longest delay between retries (5s)")
      .add<caf::timespan>("request-timeout",
                          "waiting for the cursor store (10s)")
      .add<bool>("allow-gaps",
                 "continue after a gap or a replaced source instead of "
                 "stopping the peer (false)")
      .add<std::string>("log-level",
                        "trace|debug|info|warn|error|critical|off (info)")
      .add<std::string>("metrics-file",
                        "Prometheus textfile to rewrite, \"\" = none (\"\")")
      .add<caf::timespan>("metrics-interval",
                          "how often the metrics file is rewritten (5s)")
      .add<caf::timespan>("shutdown-timeout",
                          "first signal to exit, at most (10s)");
  caf::config_option_adder{custom_options_, "tls"}
      .add<std::string>("certificate",
                        "PEM client certificate for the remote node; with key "
                        "and ca-file: mutual TLS (\"\")")
      .add<std::string>("key", "PEM private key of the certificate (\"\")")
      .add<std::string>("ca-file",
                        "PEM CA certificate(s) the node's certificate must be "
                        "signed by (\"\")")
      .add<std::string>("passphrase-file",
                        "file whose first line decrypts the key (\"\")");
  cursor::register_types(*this);
  register_error_category(*this);
  // CAF's default work-stealing workers poll for work, sleeping 50 us at a
  // time: in a tailer, whose actors mostly wait for Redis, that cost three
  // times the CPU of the whole copy (docs/PERFORMANCE.md, "Tailer"). The
  // sharing policy blocks on a condition variable instead. An explicit
  // scheduler.policy in the INI file or on the command line still wins.
  set("scheduler.policy", caf::atom("sharing"));
}

std::string parse_peers(const caf::config_value& value, const endpoint& target,
                        std::vector<peer_options>& out) {
  auto list = caf::get_if<caf::config_value::list>(&value);
  if (list == nullptr)
    return "tailer.peers must be a list of {id=..., source=..., stream=...}";
  if (list->empty())
    return "tailer.peers is empty: nothing to tail";
  std::set<std::string> ids;
  std::set<std::string> targets;
  size_t index = 0;
  for (const auto& item : *list) {
    ++index;
    auto where = "tailer.peers entry " + std::to_string(index);
    auto dict = caf::get_if<caf::config_value::dictionary>(&item);
    if (dict == nullptr)
      return where + " is not a {key=value, ...} dictionary";
    peer_options peer;
    std::string source;
    bool has_target = false;
    for (const auto& [key, x] : *dict) {
      auto str = caf::get_if<std::string>(&x);
      if (str == nullptr)
        return where + ": '" + key + "' must be a quoted string";
      if (key == "id")
        peer.id = *str;
      else if (key == "source")
        source = *str;
      else if (key == "stream")
        peer.stream = *str;
      else if (key == "target-stream") {
        peer.target_stream = *str;
        has_target = true;
      } else
        return where + ": unknown key '" + key
               + "' (known: id, source, stream, target-stream)";
    }
    if (peer.id.empty())
      return where + ": 'id' is missing";
    where += " ('" + peer.id + "')";
    if (auto err = validate_peer_id(peer.id))
      return where + ": " + cursor::render(err);
    if (source.empty())
      return where + ": 'source' (host:port of its Redis) is missing";
    if (auto err = parse_endpoint(source, peer.source); !err.empty())
      return where + ": source '" + source + "': " + err;
    if (peer.stream.empty())
      return where + ": 'stream' (the key of its stream) is missing";
    if (!has_target)
      peer.target_stream = peer.stream + ":" + peer.id;
    else if (peer.target_stream.empty())
      return where + ": 'target-stream' is empty";
    if (!ids.insert(peer.id).second)
      return where + ": the peer ID is given twice";
    // Two peers in one target stream would refuse each other's entries as
    // duplicates: entries would be lost without a trace.
    if (!targets.insert(peer.target_stream).second)
      return where + ": another peer writes the target stream '"
             + peer.target_stream + "' too; give each peer its own "
             + "target-stream";
    if (peer.source == target && peer.stream == peer.target_stream)
      return where + ": source and target are the same stream";
    out.push_back(std::move(peer));
  }
  return {};
}

config_outcome tailer_config::read(int argc, char** argv) {
  config_outcome result;
  static const app::program_info info{
      "cursor_tailer",
      default_config_file,
      "Replicates the Redis streams of its peers into a target Redis and\n"
      "resumes each peer from its cursor (docs/TAILER.md).\n",
      {"tailer", "cursor", "tls"},
      "--tailer.target=127.0.0.1:6379",
      "0 stopped cleanly, 1 configuration refused, 2 database unusable,\n"
      "3 stopped uncleanly (a position or the final flush failed), 4 shutdown\n"
      "deadline passed, 5 a peer stopped for good (docs/TAILER.md)"};
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
                   + "' (options look like --tailer.target=127.0.0.1:6379)";
    return result;
  }
  if (std::ifstream probe{config_file_path}; probe.good()) {
    probe.close();
    // The peers first, for a message naming the entry; then every key.
    if (auto raw = parse_config_file(config_file_path.c_str())) {
      if (auto peers = caf::get_if(&*raw, "tailer.peers")) {
        std::vector<peer_options> ignored;
        if (auto err = parse_peers(*peers, endpoint{}, ignored); !err.empty()) {
          result.error = "invalid configuration: " + err + " (in '"
                         + config_file_path + "')";
          return result;
        }
      }
    }
    auto err = app::check_config_file(custom_options_, config_file_path);
    if (!err.empty()) {
      result.error = std::move(err);
      return result;
    }
  }
  tailer_options opts;
  auto bad = [&](const std::string& key, const std::string& reason) {
    result.error = "invalid configuration: " + key + ": " + reason;
    return result;
  };
  auto target
      = caf::get_or(content, "tailer.target", std::string{"127.0.0.1:6379"});
  if (auto err = parse_endpoint(target, opts.target); !err.empty())
    return bad("tailer.target", "'" + target + "': " + err);
  auto peers = caf::get_if(&content, "tailer.peers");
  if (peers == nullptr)
    return bad("tailer.peers", "no peers configured (see docs/TAILER.md)");
  if (auto err = parse_peers(*peers, opts.target, opts.peers); !err.empty()) {
    result.error = "invalid configuration: " + err;
    return result;
  }
  auto node = caf::get_or(content, "tailer.node", std::string{});
  if (!node.empty()) {
    endpoint where;
    if (auto err = parse_endpoint(node, where); !err.empty())
      return bad("tailer.node", "'" + node + "': " + err);
    opts.node = where;
  }
  opts.lock_file = caf::get_or(content, "tailer.lock-file", opts.lock_file);
  opts.batch_size = caf::get_or(content, "tailer.batch-size", opts.batch_size);
  opts.block = caf::get_or(content, "tailer.block", opts.block);
  opts.connect_timeout
      = caf::get_or(content, "tailer.connect-timeout", opts.connect_timeout);
  opts.io_timeout = caf::get_or(content, "tailer.io-timeout", opts.io_timeout);
  opts.retry_base_delay
      = caf::get_or(content, "tailer.retry-base-delay", opts.retry_base_delay);
  opts.retry_max_delay
      = caf::get_or(content, "tailer.retry-max-delay", opts.retry_max_delay);
  opts.request_timeout
      = caf::get_or(content, "tailer.request-timeout", opts.request_timeout);
  opts.allow_gaps = caf::get_or(content, "tailer.allow-gaps", opts.allow_gaps);
  opts.log_level = caf::get_or(content, "tailer.log-level", opts.log_level);
  opts.metrics_file
      = caf::get_or(content, "tailer.metrics-file", opts.metrics_file);
  opts.metrics_interval
      = caf::get_or(content, "tailer.metrics-interval", opts.metrics_interval);
  opts.shutdown_timeout
      = caf::get_or(content, "tailer.shutdown-timeout", opts.shutdown_timeout);
  if (opts.batch_size < 1 || opts.batch_size > 100000)
    return bad("tailer.batch-size", "must be from 1 to 100000");
  // XREAD BLOCK 0 would wait for ever, and a reader that waits for ever
  // cannot stop.
  if (opts.block < ms(1) || opts.block > std::chrono::minutes(1))
    return bad("tailer.block", "must be from 1ms to 1min");
  if (opts.connect_timeout < ms(10))
    return bad("tailer.connect-timeout", "must be at least 10ms");
  if (opts.io_timeout < ms(10))
    return bad("tailer.io-timeout", "must be at least 10ms");
  if (opts.retry_base_delay < ms(1))
    return bad("tailer.retry-base-delay", "must be at least 1ms");
  if (opts.retry_max_delay < opts.retry_base_delay)
    return bad("tailer.retry-max-delay",
               "must not be shorter than tailer.retry-base-delay");
  if (opts.request_timeout < ms(10))
    return bad("tailer.request-timeout", "must be at least 10ms");
  if (opts.metrics_interval < ms(100))
    return bad("tailer.metrics-interval", "must be at least 100ms");
  if (opts.shutdown_timeout.count() <= 0)
    return bad("tailer.shutdown-timeout", "must be positive");
  if (std::find(log_levels.begin(), log_levels.end(), opts.log_level)
      == log_levels.end())
    return bad("tailer.log-level", "'" + opts.log_level
                                       + "' is not one of trace, debug, info, "
                                         "warn, error, critical, off");
  auto store = cursor::read_options(*this);
  if (!store) {
    result.error = "invalid configuration: " + cursor::render(store.error());
    return result;
  }
  opts.store = std::move(*store);
  const caf::settings* cursor_group = nullptr;
  if (auto group = caf::get_if(&content, "cursor"))
    cursor_group = caf::get_if<caf::settings>(group);
  if (opts.node) {
    // The store's options would silently configure nothing.
    if (cursor_group != nullptr && !cursor_group->empty())
      return bad("cursor." + cursor_group->begin()->first,
                 "the cursor.* options configure the embedded store, but "
                 "tailer.node names a remote one");
    if (!opts.lock_file.empty())
      return bad("tailer.lock-file", "only for the embedded store");
  } else if (opts.lock_file.empty()) {
    opts.lock_file = opts.store.storage.db_path + ".lock";
  }
  opts.tls.certificate
      = caf::get_or(content, "tls.certificate", opts.tls.certificate);
  opts.tls.key = caf::get_or(content, "tls.key", opts.tls.key);
  opts.tls.ca_file = caf::get_or(content, "tls.ca-file", opts.tls.ca_file);
  auto passphrase_file
      = caf::get_or(content, "tls.passphrase-file", std::string{});
  if (app::caf_openssl_options_set(*this)) {
    result.error = "invalid configuration: CAF's openssl.* options are not "
                   "used by cursor_tailer; set tls.certificate, tls.key, "
                   "tls.ca-file (and tls.passphrase-file) instead";
    return result;
  }
  if (!passphrase_file.empty()) {
    if (auto err
        = app::read_passphrase_file(passphrase_file, opts.tls.passphrase);
        !err.empty())
      return bad("tls.passphrase-file", "'" + passphrase_file + "' " + err);
  }
  if (opts.tls.any()) {
    if (!opts.node)
      return bad("tls", "TLS is for a remote node; set tailer.node or "
                        "remove the tls.* options");
    app::tls_option_names names{"tls.certificate", "tls.key", "tls.ca-file",
                                "tls.passphrase-file"};
    auto checked = app::check_tls_files(opts.tls, names, app::tls_role::client);
    if (!checked.error.empty()) {
      result.error = "invalid configuration: " + checked.error;
      return result;
    }
    result.tls_summary = std::move(checked.summary);
    result.tls_warning = std::move(checked.warning);
    app::enable_tls(*this, checked.caf_files);
  }
  set("middleman.app-identifiers",
      std::vector<std::string>{app::app_identifier});
  result.options = std::move(opts);
  return result;
}

} // namespace cursor::tailer
