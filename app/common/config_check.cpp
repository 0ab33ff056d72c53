#include "common/config_check.hpp"

#include "common/config_duplicates.hpp"

#include <fstream>
#include <sstream>

#include <caf/actor_system_config.hpp>
#include <caf/config_option.hpp>
#include <caf/config_option_set.hpp>
#include <caf/config_value.hpp>
#include <caf/pec.hpp>
#include <caf/sec.hpp>
#include <caf/settings.hpp>

namespace cursor::app {

namespace {

std::string quoted_value(const caf::config_value& x) {
  auto str = caf::to_string(x);
  if (str.size() > 80)
    str = str.substr(0, 77) + "...";
  return str;
}

} // namespace

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

std::string check_config_file(const caf::config_option_set& options,
                              const std::string& path) {
  // Re-read the file without type checks: CAF keeps unknown keys silently
  // and drops values of the wrong type silently (falling back to the
  // default), so compare every entry against the declared options here.
  auto raw = caf::actor_system_config::parse_config_file(path.c_str());
  if (!raw)
    return render_parse_error(raw.error(), path);
  // CAF merged repeated sections and kept one value of a repeated key.
  {
    std::ifstream in{path};
    std::ostringstream text;
    text << in.rdbuf();
    if (auto err = find_duplicate_key(text.str(), path); !err.empty())
      return err;
  }
  auto check = [&](const std::string& group, const std::string& key,
                   const caf::config_value& value) -> std::string {
    auto name = group == "global" ? key : group + "." + key;
    auto opt = options.qualified_name_lookup(group, key);
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

} // namespace cursor::app
