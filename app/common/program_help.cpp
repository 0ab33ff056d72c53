#include "common/program_help.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/config.hpp>
#include <caf/config_option.hpp>
#include <caf/config_option_set.hpp>

#include "cursor_actor/version.hpp"

namespace cursor::app {

namespace {

struct help_line {
  std::string flag;
  std::string text;
};

void print_help(std::ostream& out, const program_info& info,
                const caf::config_option_set& options) {
  std::vector<std::pair<std::string, std::vector<help_line>>> sections;
  sections.push_back(
      {"general",
       {
           {"-h, --help", "this text"},
           {"--version", "print the version and exit"},
           {"--config-file=PATH",
            "INI file (default: " + info.default_config_file
                + " in the working directory, if it exists)"},
           {"--long-help", "every option, CAF's own groups included"},
           {"--dump-config", "print the effective configuration"},
       }});
  for (const auto& group : info.groups) {
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
      sections.emplace_back(group, std::move(lines));
  }
  size_t width = 0;
  for (auto& section : sections)
    for (auto& x : section.second)
      width = std::max(width, x.flag.size());
  out << "usage: " << info.name
      << " [--config-file=PATH] [--GROUP.KEY=VALUE ...]\n\n"
      << info.summary
      << "\nEvery option below can also be set in the INI file ([group] then\n"
         "key=value; strings quoted, durations with a unit); the command line\n"
         "wins. Example: "
      << info.example_option << "\n";
  for (auto& [title, lines] : sections) {
    out << '\n' << title << ":\n";
    for (auto& x : lines)
      out << "  " << x.flag << std::string(width - x.flag.size() + 2, ' ')
          << x.text << '\n';
  }
  out << "\nexit codes: " << info.exit_codes << "\n";
}

} // namespace

bool print_help_or_version(int argc, char** argv, const program_info& info,
                           const caf::config_option_set& options,
                           std::ostream& out) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg{argv[i]};
    if (arg == "-h" || arg == "-?" || arg == "--help") {
      print_help(out, info, options);
      return true;
    }
    if (arg == "--version") {
      out << info.name << ' ' << cursor::version << " (CAF "
          << CAF_VERSION / 10000 << '.' << CAF_VERSION / 100 % 100 << '.'
          << CAF_VERSION % 100 << ")\n";
      return true;
    }
  }
  return false;
}

} // namespace cursor::app
