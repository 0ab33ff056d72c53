#include "cli/args.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace cursor::cli {

namespace {

struct command_spec {
  std::string_view name;
  size_t operands;
  std::string_view synopsis;
  bool json;
  bool prometheus;
  bool force;
};

constexpr std::array<command_spec, 7> commands{{
    {"get", 1, "get PEER [--json]", true, false, false},
    {"set", 2, "set PEER ID [--force]", false, false, true},
    {"delete", 1, "delete PEER", false, false, false},
    {"list", 0, "list [--json]", true, false, false},
    {"flush", 0, "flush", false, false, false},
    {"checkpoint", 0, "checkpoint", false, false, false},
    {"stats", 0, "stats [--json|--prometheus]", true, true, false},
}};

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

bool parse_port(const std::string& text, uint16_t& out) {
  if (!all_digits(text) || text.size() > 5)
    return false;
  auto value = std::stoul(text);
  if (value < 1 || value > 65535)
    return false;
  out = static_cast<uint16_t>(value);
  return true;
}

} // namespace

bool parse_timeout(const std::string& text, std::chrono::milliseconds& out) {
  std::string_view view{text};
  auto digits_end = view.find_first_not_of("0123456789");
  auto number = view.substr(0, digits_end);
  auto unit = digits_end == std::string_view::npos ? std::string_view{}
                                                   : view.substr(digits_end);
  if (!all_digits(number) || number.size() > 7)
    return false;
  auto value = std::stoull(std::string{number});
  uint64_t factor = 0;
  if (unit.empty() || unit == "s")
    factor = 1000;
  else if (unit == "ms")
    factor = 1;
  else if (unit == "m" || unit == "min")
    factor = 60'000;
  else
    return false;
  auto ms = value * factor;
  if (ms < 1 || ms > 3'600'000)
    return false;
  out = std::chrono::milliseconds{ms};
  return true;
}

std::string format_timeout(std::chrono::milliseconds x) {
  if (x.count() % 1000 == 0)
    return std::to_string(x.count() / 1000) + "s";
  return std::to_string(x.count()) + "ms";
}

std::string parse_args(int argc, char** argv, cli_args& out) {
  std::vector<std::string> positional;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      positional.push_back(std::move(arg));
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      out.help = true;
      continue;
    }
    if (arg.compare(0, 2, "--") != 0)
      return "unknown option '" + arg + "'";
    auto eq = arg.find('=');
    auto name
        = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    bool has_value = eq != std::string::npos;
    if (name == "host" || name == "port" || name == "timeout"
        || name.compare(0, 4, "tls-") == 0) {
      std::string value;
      if (has_value) {
        value = arg.substr(eq + 1);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return "option '--" + name + "' needs a value";
      }
      if (name.compare(0, 4, "tls-") == 0) {
        auto* target = name == "tls-cert"  ? &out.tls.certificate
                       : name == "tls-key" ? &out.tls.key
                       : name == "tls-ca"  ? &out.tls.ca_file
                       : name == "tls-passphrase-file"
                           ? &out.tls_passphrase_file
                           : nullptr;
        if (target == nullptr)
          return "unknown option '--" + name + "'";
        if (value.empty())
          return "option '--" + name + "' needs a non-empty value";
        *target = value;
      } else if (name == "host") {
        if (value.empty())
          return "option '--host' needs a non-empty value";
        out.host = value;
      } else if (name == "port") {
        if (!parse_port(value, out.port))
          return "invalid port '" + value + "' (1 to 65535)";
      } else if (!parse_timeout(value, out.timeout)) {
        return "invalid timeout '" + value
               + "' (e.g. 5s, 500ms, 1m; 1ms to 1h)";
      }
      continue;
    }
    if (name == "force" || name == "json" || name == "prometheus") {
      if (has_value)
        return "option '--" + name + "' takes no value";
      (name == "force"  ? out.force
       : name == "json" ? out.json
                        : out.prometheus)
          = true;
      continue;
    }
    return "unknown option '--" + name + "'";
  }
  if (out.help)
    return {};
  if (positional.empty())
    return "missing command";
  out.command = positional.front();
  out.operands.assign(positional.begin() + 1, positional.end());
  auto spec = std::find_if(
      commands.begin(), commands.end(),
      [&](const command_spec& x) { return x.name == out.command; });
  if (spec == commands.end())
    return "unknown command '" + out.command + "'";
  auto synopsis = std::string{"usage: cursorctl [options] "}
                  + std::string{spec->synopsis};
  if (out.operands.size() != spec->operands)
    return (out.operands.size() < spec->operands ? "missing argument; "
                                                 : "too many arguments; ")
           + synopsis;
  if (out.force && !spec->force)
    return "--force only applies to set; " + synopsis;
  if (out.json && !spec->json)
    return "--json does not apply to " + out.command + "; " + synopsis;
  if (out.prometheus && !spec->prometheus)
    return "--prometheus only applies to stats; " + synopsis;
  if (out.json && out.prometheus)
    return "choose one of --json and --prometheus; " + synopsis;
  return {};
}

const char* usage() {
  return "usage: cursorctl [--host HOST] [--port PORT] [--timeout DURATION]\n"
         "                 [--tls-cert FILE --tls-key FILE --tls-ca FILE\n"
         "                  [--tls-passphrase-file FILE]] COMMAND [ARGS]\n"
         "\n"
         "Reads and repairs the replication cursors of a running cursor_node.\n"
         "\n"
         "commands:\n"
         "  get PEER [--json]            print the peer's stream ID, or "
         "'none'\n"
         "  set PEER ID [--force]        set a cursor (--force: allow moving "
         "it back)\n"
         "  delete PEER                  delete a cursor (committed before "
         "the answer)\n"
         "  list [--json]                every cursor, as a table or JSON\n"
         "  flush                        commit every pending change now\n"
         "  checkpoint                   run a TRUNCATE WAL checkpoint\n"
         "  stats [--json|--prometheus]  counters and health\n"
         "\n"
         "options (anywhere on the line; '--' ends them, e.g. for a peer "
         "starting with '-'):\n"
         "  --host HOST        node address (127.0.0.1)\n"
         "  --port PORT        node port (4242)\n"
         "  --timeout DURATION bound on connecting and on each request: "
         "5s, 500ms, 1m (5s)\n"
         "  --tls-cert FILE    PEM client certificate: with --tls-key and "
         "--tls-ca,\n"
         "                     connect with mutual TLS (the node must use TLS "
         "too)\n"
         "  --tls-key FILE     PEM private key of the certificate\n"
         "  --tls-ca FILE      PEM CA certificate(s) the node's certificate "
         "must chain to\n"
         "  --tls-passphrase-file FILE  first line: the key's passphrase\n"
         "  -h, --help         this text\n"
         "\n"
         "exit codes: 0 ok, 1 usage error, unusable TLS file or input "
         "refused by the store, "
         "2 node unreachable or timed out, 3 storage error\n";
}

} // namespace cursor::cli
