#include "cursor_actor/backup_name.hpp"

#include <string>

#include "cursor_actor/error.hpp"

namespace cursor {

namespace {

bool allowed(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
         || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
         || c == '+' || c == '@' || c == '=';
}

caf::error refuse(const std::string& reason) {
  return caf::make_error(errc::invalid_backup_name, reason);
}

} // namespace

caf::error validate_backup_name(std::string_view name) {
  if (name.empty())
    return refuse("the backup name is empty");
  if (name.size() > max_backup_name_size)
    return refuse("the backup name has " + std::to_string(name.size())
                  + " bytes (at most " + std::to_string(max_backup_name_size)
                  + ")");
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = name[i];
    if (c == '/')
      return refuse("the backup name may not contain '/': give a file name, "
                    "not a path (the node writes into its backup directory)");
    if (!allowed(c))
      return refuse("the backup name may contain only A-Z a-z 0-9 . _ - + @ "
                    "= (character "
                    + std::to_string(i + 1) + " is not one)");
  }
  if (name.front() == '.')
    return refuse("the backup name may not start with '.'");
  if (name.front() == '-')
    return refuse("the backup name may not start with '-'");
  if (name.find("..") != std::string_view::npos)
    return refuse("the backup name may not contain '..'");
  return caf::none;
}

} // namespace cursor
