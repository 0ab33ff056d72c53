#include "node/node_help.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/config.hpp>
#include <caf/config_option.hpp>
#include <caf/config_option_set.hpp>

#include "cursor_actor/version.hpp"

namespace cursor::node {

namespace {

// The groups an operator configures, in the order of docs/NODE.md.
constexpr std::array<std::string_view, 3> groups{"cursor", "node", "tls"};

struct help_line {
  std::string flag;
  std::string text;
};

void print_help(std::ostream& out, const caf::config_option_set& options) {
  std::vector<std::pair<std::string, std::vector<help_line>>> sections;
  sections.push_back(
      {"general",
       {
           {"-h, --help", "this text"},
           {"--version", "print the version and exit"},
           {"--config-file=PATH",
            "INI file (default: cursor_node.ini in the working directory, if "
            "it exists)"},
           {"--long-help", "every option, CAF's own groups included"},
           {"--dump-config", "print the effective configuration"},
       }});
  for (auto group : groups) {
    std::vector<help_line> lines;
    for (const auto& opt : options) {
      if (opt.category() != caf::string_view{group.data(), group.size()})
        continue;
      auto name = opt.full_name();
      auto type = opt.type_name();
      auto text = opt.description();
      lines.push_back({"--" + std::string{name.begin(), name.end()} + "=<"
                           + std::string{type.begin(), type.end()} + ">",
                       std::string{text.begin(), text.end()}});
    }
    if (!lines.empty())
      sections.emplace_back(std::string{group}, std::move(lines));
  }
  size_t width = 0;
  for (auto& section : sections)
    for (auto& x : section.second)
      width = std::max(width, x.flag.size());
  out << "usage: cursor_node [--config-file=PATH] [--GROUP.KEY=VALUE ...]\n"
         "\n"
         "Hosts a cursor store and publishes it to CAF peers and cursorctl\n"
         "(docs/NODE.md). Every option below can also be set in the INI "
         "file\n"
         "([group] then key=value; strings quoted, durations with a unit);\n"
         "the command line wins.\n";
  for (auto& [title, lines] : sections) {
    out << '\n' << title << ":\n";
    for (auto& x : lines)
      out << "  " << x.flag << std::string(width - x.flag.size() + 2, ' ')
          << x.text << '\n';
  }
  out << "\nexit codes: 0 stopped cleanly, 1 configuration refused, 2 "
         "database or port\nunusable, 3 final flush failed, 4 shutdown "
         "deadline passed (docs/NODE.md)\n";
}

} // namespace

bool print_help_or_version(int argc, char** argv,
                           const caf::config_option_set& options,
                           std::ostream& out) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg{argv[i]};
    if (arg == "-h" || arg == "-?" || arg == "--help") {
      print_help(out, options);
      return true;
    }
    if (arg == "--version") {
      out << "cursor_node " << cursor::version << " (CAF "
          << CAF_VERSION / 10000 << '.' << CAF_VERSION / 100 % 100 << '.'
          << CAF_VERSION % 100 << ")\n";
      return true;
    }
  }
  return false;
}

} // namespace cursor::node
