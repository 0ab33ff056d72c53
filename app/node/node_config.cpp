#include "node/node_config.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/settings.hpp>

namespace cursor::node {

void declare_node_options(caf::config_option_adder& group) {
  group
      .add<std::string>("bind-address",
                        "address to publish on (127.0.0.1; \"\" = all)")
      .add<uint16_t>("port", "port to publish on, 0 = any free port (4242)")
      .add<std::string>("backup-dir",
                        "directory of online backups (cursorctl backup "
                        "NAME), \"\" = backups disabled (\"\")");
}

std::string read_node_options(const caf::actor_system_config& cfg,
                              node_options& out) {
  const auto& content = cfg.content;
  out.bind_address
      = caf::get_or(content, "node.bind-address", out.bind_address);
  out.port = caf::get_or(content, "node.port", out.port);
  out.backup_dir = caf::get_or(content, "node.backup-dir", out.backup_dir);
  if (out.backup_dir.empty())
    return {};
  auto bad = [&](const std::string& reason) {
    return "invalid configuration: node.backup-dir: '" + out.backup_dir + "'"
           + reason;
  };
  // Resolved once: the front joins names to it, and the log names it.
  char* real = ::realpath(out.backup_dir.c_str(), nullptr);
  if (real == nullptr)
    return bad(std::string{": "} + std::strerror(errno));
  std::string resolved{real};
  std::free(real);
  struct stat info {};
  if (::stat(resolved.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    return bad(" is not a directory");
  if (::access(resolved.c_str(), W_OK | X_OK) != 0)
    return bad(std::string{" is not writable: "} + std::strerror(errno));
  out.backup_dir = std::move(resolved);
  return {};
}

} // namespace cursor::node
