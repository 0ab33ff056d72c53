#include "cli/args.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/duration.hpp"
#include "cursor_actor/version.hpp"

namespace cursor::cli {

namespace {

constexpr const char* description
    = "Reads and repairs the replication cursors of a running cursor_node.";

constexpr const char* footer
    = "Options may come before or after the command; '--' ends them (e.g. for "
      "a\npeer ID starting with '-'). `cursorctl COMMAND --help` describes a "
      "command.\n"
      "\n"
      "exit codes: 0 ok, 1 usage error, unusable TLS file or input refused by "
      "the\nstore, 2 node unreachable or timed out, 3 storage error; health: "
      "3 degraded,\n4 closed (docs/CLI.md)";

bool parse_port(const std::string& text, uint16_t& out) {
  if (text.empty() || text.size() > 5
      || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  auto value = std::stoul(text);
  if (value < 1 || value > 65535)
    return false;
  out = static_cast<uint16_t>(value);
  return true;
}

std::string join(const std::vector<std::string>& xs) {
  std::string result;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      result += i + 1 == xs.size() ? " and " : ", ";
    result += xs[i];
  }
  return result;
}

// Help in cursorctl's words: a usage line with the command's synopsis, and
// the command list with synopses.
// A count of 1 to `max` (at most 999,999) written in decimal digits only,
// or nothing.
std::optional<size_t> parse_count(const std::string& text, size_t max) {
  if (text.empty() || text.size() > 6
      || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  auto n = static_cast<size_t>(std::stoul(text));
  if (n < 1 || n > max)
    return std::nullopt;
  return n;
}

class help_formatter : public CLI::Formatter {
public:
  std::map<const CLI::App*, std::string> synopsis;

  std::string make_help(const CLI::App* app, std::string,
                        CLI::AppFormatMode mode) const override {
    std::ostringstream out;
    auto i = synopsis.find(app);
    out << "usage: cursorctl [OPTIONS] "
        << (i != synopsis.end() ? i->second : "COMMAND [ARGS]") << "\n\n"
        << app->get_description() << '\n'
        << make_positionals(app) << make_groups(app, mode)
        << make_subcommands(app, mode) << '\n'
        << make_footer(app);
    // One blank line between sections, however CLI11 joins them.
    auto text = out.str();
    for (auto at = text.find("\n\n\n"); at != std::string::npos;
         at = text.find("\n\n\n"))
      text.erase(at, 1);
    return text;
  }

  std::string make_subcommand(const CLI::App* sub) const override {
    std::ostringstream out;
    auto i = synopsis.find(sub);
    CLI::detail::format_help(out, i != synopsis.end() ? i->second : "",
                             sub->get_description(), get_column_width());
    return out.str();
  }
};

class command_line {
public:
  explicit command_line(cli_args& out) : out_(out) {
    formatter_ = std::make_shared<help_formatter>();
    formatter_->column_width(30);
    app_.formatter(formatter_);
    app_.description(description);
    app_.footer(footer);
    // Options of cursorctl itself are matched after the command too, and a
    // command's own options before it (see mirror()); anything left over is
    // reported by check_leftovers() in our words.
    app_.fallthrough();
    app_.allow_extras();
    // One command per call: a second command name is an extra operand.
    app_.require_subcommand(0, 1);
    formatter_->label("Positionals", "operands");
    app_.option_defaults()->group("options")->multi_option_policy(
        CLI::MultiOptionPolicy::TakeLast);
    add_global_options();
    add_commands();
  }

  parse_outcome parse(int argc, char** argv) {
    argc_ = argc;
    argv_ = argv;
    parse_outcome result;
    try {
      app_.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
      result.text = app_.help();
      return result;
    } catch (const CLI::ParseError& e) {
      result.error = render(e);
      return result;
    }
    if (version_->count() > 0) {
      result.text = std::string{"cursorctl "} + cursor::version + '\n';
      return result;
    }
    result.error = check();
    return result;
  }

private:
  struct command {
    CLI::App* app = nullptr;
    std::string synopsis;
    /// The operands, all required, in order.
    std::vector<CLI::Option*> operands;
  };

  // A command option also accepted before the command: declared on each
  // command that takes it and, hidden, on cursorctl itself.
  struct mirror {
    CLI::Option* option = nullptr;
    std::string name;
    std::vector<std::string> commands;
  };

  // --- declaration ---------------------------------------------------------

  void add_global_options() {
    app_.add_option("--host", out_.host, "node address (127.0.0.1)")
        ->type_name("HOST");
    app_.add_option("--port", port_, "node port (4242)")->type_name("PORT");
    app_.add_option("--timeout", timeout_,
                    "bound on connecting and on each request: 5s, 500ms, 1m "
                    "(5s)")
        ->type_name("DURATION");
    tls_.push_back(app_.add_option(
        "--tls-cert", out_.tls.certificate,
        "PEM client certificate: with --tls-key and --tls-ca, connect with "
        "mutual TLS (the node must use TLS too)"));
    tls_.push_back(app_.add_option("--tls-key", out_.tls.key,
                                   "PEM private key of the certificate"));
    tls_.push_back(app_.add_option(
        "--tls-ca", out_.tls.ca_file,
        "PEM CA certificate(s) the node's certificate must chain to"));
    tls_.push_back(app_.add_option("--tls-passphrase-file",
                                   out_.tls_passphrase_file,
                                   "first line: the key's passphrase"));
    for (auto* x : tls_)
      x->type_name("FILE");
    version_ = app_.add_flag("--version", "print the version and exit");
    app_.set_help_flag("-h,--help", "this text");
  }

  void add_commands() {
    auto* get = add_command("get", "get PEER [--json]",
                            "print the peer's stream ID, or 'none'");
    add_operand("get", "PEER", out_.peer, "the peer ID");
    auto* set = add_command("set", "set PEER ID [--force]",
                            "set a cursor (--force: allow moving it back)");
    add_operand("set", "PEER", out_.peer, "the peer ID");
    add_operand("set", "ID", out_.stream_id, "the stream ID: 0 or <ms>-<seq>");
    add_command("delete", "delete PEER",
                "delete a cursor (committed before the answer)");
    add_operand("delete", "PEER", out_.peer, "the peer ID");
    auto* list = add_command(
        "list", "list [--json] [--older-than DURATION] [--page-size N]",
        "every cursor, as a table or JSON");
    add_command("flush", "flush", "commit every pending change now");
    add_command("checkpoint", "checkpoint", "run a TRUNCATE WAL checkpoint");
    auto* stats = add_command("stats", "stats [--json|--prometheus]",
                              "counters and health");
    auto* health
        = add_command("health", "health [--json]",
                      "one line and an exit code for probes: 0 healthy, 3 "
                      "degraded, 4 closed, 2 unreachable");
    auto* exp = add_command(
        "export",
        "export [--format jsonl|csv] [-o FILE [--overwrite]] "
        "[--older-than DURATION] [--page-size N]",
        "every cursor as JSON lines or CSV (peer, stream_id, updated_at, "
        "durable)");
    auto* imp = add_command(
        "import",
        "import FILE [--format jsonl|csv] [--force] [--dry-run] [--no-flush] "
        "[--chunk-size N]",
        "set cursors from a file as export writes it (FILE '-' = stdin)");
    add_operand("import", "FILE", out_.input,
                "JSON lines or CSV, as export writes them; '-' = stdin");
    auto* rewind = add_command(
        "rewind",
        "rewind --to ID (--peers-file FILE | --prefix P) [--dry-run] "
        "[--no-flush] [--chunk-size N]",
        "move existing cursors (listed, or by peer prefix) to one stream ID");
    add_command("backup", "backup NAME",
                "write a consistent copy of the database as NAME in the "
                "node's backup directory");
    add_operand("backup", "NAME", out_.backup_name,
                "a file name (no path): A-Z a-z 0-9 . _ - + @ =");
    add_flag("--json", out_.json, "print JSON", {get, list, stats, health});
    add_flag("--force", out_.force, "allow moving cursors backwards",
             {set, imp});
    add_flag("--dry-run", out_.dry_run,
             "print what would change (new, advanced, moved back, unchanged) "
             "and change nothing",
             {imp, rewind});
    add_flag("--no-flush", out_.no_flush,
             "do not commit at the end (the node's next flush will)",
             {imp, rewind});
    add_option("--chunk-size", chunk_size_, "N",
               "entries per batched set, 1 to 100000 (1000)", {imp, rewind});
    add_option("--page-size", page_size_, "N",
               "cursors per page asked of the node, 1 to 100000 (10000)",
               {list, exp});
    add_option("--to", out_.rewind_to, "ID", "the stream ID to move to",
               {rewind});
    add_option("--peers-file", out_.peers_file, "FILE",
               "the peers to move: one peer ID per line ('-' = stdin)",
               {rewind});
    add_option("--prefix", out_.prefix, "P",
               "the peers to move: every cursor whose peer ID starts with P",
               {rewind});
    add_flag("--prometheus", out_.prometheus,
             "print the Prometheus text format", {stats});
    add_option("--older-than", older_than_, "DURATION",
               "only cursors not updated for at least DURATION: 90s, 30m, "
               "12h, 7d, 2w",
               {list, exp});
    add_option("--format", format_, "FORMAT",
               "jsonl (one JSON object per line) or csv; default: csv for a "
               "FILE ending in .csv, jsonl otherwise",
               {exp, imp});
    add_option("-o,--output", out_.output, "FILE",
               "write to FILE (atomically) instead of stdout", {exp});
    add_flag("--overwrite", out_.overwrite,
             "replace FILE if it exists (refused otherwise)", {exp});
  }

  CLI::App* add_command(const std::string& name, std::string synopsis,
                        std::string summary) {
    auto* sub = app_.add_subcommand(name, std::move(summary));
    sub->allow_extras();
    sub->group("commands");
    sub->get_help_ptr()->group("options");
    sub->footer("The connection options (--host, --port, --timeout, --tls-*) "
                "apply too: see\ncursorctl --help.");
    formatter_->synopsis[sub] = synopsis;
    commands_[name] = command{sub, std::move(synopsis), {}};
    return sub;
  }

  void add_operand(const std::string& cmd, const std::string& name,
                   std::string& target, const std::string& help) {
    auto& x = commands_.at(cmd);
    auto* opt = x.app->add_option(name, target, help)->type_name("");
    x.operands.push_back(opt);
  }

  template <class T>
  mirror& declare(const std::string& name, std::vector<CLI::App*> cmds, T add) {
    mirror m;
    m.name = name.substr(name.find("--"));
    for (auto* cmd : cmds) {
      add(cmd)->group("options");
      m.commands.push_back(cmd->get_name());
    }
    // The hidden twin takes the option before the command.
    m.option = add(&app_);
    m.option->group("");
    mirrors_.push_back(std::move(m));
    return mirrors_.back();
  }

  void add_flag(const std::string& name, bool& target, const std::string& help,
                std::vector<CLI::App*> cmds) {
    declare(name, std::move(cmds), [&](CLI::App* where) {
      return where->add_flag(name, target, help)->disable_flag_override();
    });
  }

  void add_option(const std::string& name, std::string& target,
                  const std::string& type, const std::string& help,
                  std::vector<CLI::App*> cmds) {
    declare(name, std::move(cmds), [&](CLI::App* where) {
      return where->add_option(name, target, help)->type_name(type);
    });
  }

  // --- checks --------------------------------------------------------------

  bool given_as_empty(const std::string& name) const {
    auto prefix = name + "=";
    for (int i = 1; i < argc_; ++i)
      if (std::string{argv_[i]} == prefix)
        return true;
    return false;
  }

  // CLI11's own errors that can still occur: a value missing after an
  // option (ArgumentMismatch) or a value given to a flag.
  std::string render(const CLI::ParseError& e) const {
    std::string what = e.what();
    auto end = what.find_first_of(": ");
    auto name = what.substr(0, end);
    if (what.find("disallowed flag override") != std::string::npos)
      return "option '--" + name + "' takes no value";
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr
        && name.compare(0, 1, "-") == 0) {
      if (given_as_empty(name))
        return "option '" + name + "' needs a non-empty value";
      return "option '" + name + "' needs a value";
    }
    return what;
  }

  std::string usage_of(const command& cmd) const {
    return "usage: cursorctl [options] " + cmd.synopsis;
  }

  std::string check() {
    // Leftovers: unknown options first, then an unknown command or operands
    // too many.
    const command* cmd = nullptr;
    for (auto& [name, x] : commands_)
      if (x.app->parsed())
        cmd = &x;
    // CLI11 keeps the `--` separator among the leftovers.
    std::vector<std::string> extra;
    auto collect = [&](const CLI::App& from) {
      for (auto& x : from.remaining())
        if (x != "--")
          extra.push_back(x);
    };
    collect(app_);
    if (cmd != nullptr)
      collect(*cmd->app);
    for (auto& x : extra)
      if (x.size() > 1 && x[0] == '-')
        return "unknown option '" + x.substr(0, x.find('=')) + "'";
    if (cmd == nullptr)
      return extra.empty() ? "missing command"
                           : "unknown command '" + extra.front() + "'";
    out_.command = cmd->app->get_name();
    if (!extra.empty())
      return "too many arguments; " + usage_of(*cmd);
    for (auto* x : cmd->operands)
      if (x->count() == 0)
        return "missing argument; " + usage_of(*cmd);
    for (auto& m : mirrors_)
      if (m.option->count() > 0
          && std::find(m.commands.begin(), m.commands.end(), out_.command)
                 == m.commands.end())
        return m.name + " only applies to " + join(m.commands) + "; "
               + usage_of(*cmd);
    if (out_.json && out_.prometheus)
      return "choose one of --json and --prometheus; " + usage_of(*cmd);
    if (out_.host.empty())
      return "option '--host' needs a non-empty value";
    for (auto* x : tls_)
      if (x->count() > 0 && x->as<std::string>().empty())
        return "option '" + x->get_name() + "' needs a non-empty value";
    if (!port_.empty() && !parse_port(port_, out_.port))
      return "invalid port '" + port_ + "' (1 to 65535)";
    if (!timeout_.empty() && !parse_timeout(timeout_, out_.timeout))
      return "invalid timeout '" + timeout_
             + "' (e.g. 5s, 500ms, 1m; 1ms to 1h)";
    if (!older_than_.empty()) {
      std::chrono::milliseconds age{0};
      if (!parse_age(older_than_, age))
        return "invalid duration '" + older_than_
               + "' for --older-than (e.g. 90s, 30m, 12h, 7d, 2w)";
      out_.older_than = age;
    }
    if (out_.output == "-")
      out_.output.clear();
    if (format_.empty()) {
      auto& name = out_.command == "import" ? out_.input : out_.output;
      auto csv
          = name.size() > 4 && name.compare(name.size() - 4, 4, ".csv") == 0;
      out_.format = csv ? export_format::csv : export_format::json_lines;
    } else if (format_ == "jsonl") {
      out_.format = export_format::json_lines;
    } else if (format_ == "csv") {
      out_.format = export_format::csv;
    } else {
      return "invalid format '" + format_ + "' (jsonl or csv)";
    }
    if (out_.overwrite && out_.output.empty())
      return "--overwrite needs -o FILE; " + usage_of(*cmd);
    if (!chunk_size_.empty()) {
      auto n = parse_count(chunk_size_, max_chunk_size);
      if (!n)
        return "invalid chunk size '" + chunk_size_ + "' (1 to "
               + std::to_string(max_chunk_size) + ")";
      out_.chunk_size = *n;
    }
    if (!page_size_.empty()) {
      auto n = parse_count(page_size_, max_page_size);
      if (!n)
        return "invalid page size '" + page_size_ + "' (1 to "
               + std::to_string(max_page_size) + ")";
      out_.page_size = static_cast<uint32_t>(*n);
    }
    if (out_.command == "import" && out_.input.empty())
      return "the FILE of import is empty ('-' reads stdin)";
    if (out_.command == "rewind") {
      if (out_.rewind_to.empty())
        return "rewind needs --to ID; " + usage_of(*cmd);
      if (out_.peers_file.empty() == out_.prefix.empty())
        return "rewind needs exactly one of --peers-file FILE and --prefix P; "
               + usage_of(*cmd);
    }
    return {};
  }

  cli_args& out_;
  CLI::App app_{"", "cursorctl"};
  std::shared_ptr<help_formatter> formatter_;
  std::map<std::string, command> commands_;
  std::vector<mirror> mirrors_;
  std::vector<CLI::Option*> tls_;
  CLI::Option* version_ = nullptr;
  std::string port_;
  std::string timeout_;
  std::string older_than_;
  std::string format_;
  std::string chunk_size_;
  std::string page_size_;
  int argc_ = 0;
  char** argv_ = nullptr;
};

} // namespace

parse_outcome parse_args(int argc, char** argv, cli_args& out) {
  command_line cmd{out};
  return cmd.parse(argc, argv);
}

} // namespace cursor::cli
