#include "tailer/tailer_config.hpp"

#include <map>
#include <set>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/config_value.hpp>
#include <caf/settings.hpp>

#include "cursor_actor/error.hpp"
#include "cursor_actor/peer_id.hpp"

namespace cursor::tailer {

namespace {

using ms = std::chrono::milliseconds;

} // namespace

void declare_tailer_options(caf::config_option_adder& group) {
  group
      .add<std::vector<std::map<std::string, std::string>>>(
          "peers",
          "the peers: [{id=\"...\", source=\"host:port\", stream=\"key\", "
          "target-stream=\"key\"}, ...]")
      .add<std::string>("target",
                        "Redis to write to, host:port (127.0.0.1:6379)")
      .add<std::string>("node",
                        "remote cursor_node, host:port; \"\" = embedded store "
                        "(\"\")")
      .add<uint32_t>("batch-size", "entries per read, XREAD COUNT (500)")
      .add<caf::timespan>("block", "how long a read waits for new entries (1s)")
      .add<caf::timespan>("connect-timeout", "connecting to a Redis (2s)")
      .add<caf::timespan>("io-timeout", "waiting for a Redis reply (5s)")
      .add<caf::timespan>("retry-base-delay", "first delay after a failure "
                                              "(100ms)")
      .add<caf::timespan>("retry-max-delay",
                          "longest delay between retries (5s)")
      .add<bool>("allow-gaps",
                 "continue after a gap or a replaced source instead of "
                 "stopping the peer (false)");
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

std::string check_tailer_file(const caf::settings& file) {
  if (auto peers = caf::get_if(&file, "tailer.peers")) {
    std::vector<peer_options> ignored;
    if (auto err = parse_peers(*peers, endpoint{}, ignored); !err.empty())
      return "invalid configuration: " + err;
  }
  return {};
}

std::string read_tailer_options(const caf::actor_system_config& cfg,
                                tailer_options& opts) {
  const auto& content = cfg.content;
  auto bad = [&](const std::string& key, const std::string& reason) {
    return "invalid configuration: " + key + ": " + reason;
  };
  auto target
      = caf::get_or(content, "tailer.target", std::string{"127.0.0.1:6379"});
  if (auto err = parse_endpoint(target, opts.target); !err.empty())
    return bad("tailer.target", "'" + target + "': " + err);
  auto peers = caf::get_if(&content, "tailer.peers");
  if (peers == nullptr)
    return bad("tailer.peers", "no peers configured (see docs/TAILER.md)");
  if (auto err = parse_peers(*peers, opts.target, opts.peers); !err.empty())
    return "invalid configuration: " + err;
  auto node = caf::get_or(content, "tailer.node", std::string{});
  if (!node.empty()) {
    endpoint where;
    if (auto err = parse_endpoint(node, where); !err.empty())
      return bad("tailer.node", "'" + node + "': " + err);
    opts.node = where;
  }
  opts.batch_size = caf::get_or(content, "tailer.batch-size", opts.batch_size);
  opts.block = caf::get_or(content, "tailer.block", opts.block);
  opts.connect_timeout
      = caf::get_or(content, "tailer.connect-timeout", opts.connect_timeout);
  opts.io_timeout = caf::get_or(content, "tailer.io-timeout", opts.io_timeout);
  opts.retry_base_delay
      = caf::get_or(content, "tailer.retry-base-delay", opts.retry_base_delay);
  opts.retry_max_delay
      = caf::get_or(content, "tailer.retry-max-delay", opts.retry_max_delay);
  opts.allow_gaps = caf::get_or(content, "tailer.allow-gaps", opts.allow_gaps);
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
  return {};
}

} // namespace cursor::tailer
