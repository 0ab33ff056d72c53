#include "node/front.hpp"

#include <utility>

#include <caf/actor_cast.hpp>
#include <spdlog/logger.h>

#include "common/store_forwarder.hpp"
#include "cursor_actor/backup_name.hpp"
#include "cursor_actor/error.hpp"

namespace cursor::node {

cursor_actor spawn_front(caf::actor_system& sys, cursor_actor store,
                         caf::timespan timeout,
                         std::shared_ptr<spdlog::logger> log,
                         std::string backup_dir) {
  while (backup_dir.size() > 1 && backup_dir.back() == '/')
    backup_dir.pop_back();
  app::forwarder_options opts;
  opts.store_name = "the store";
  opts.request_timeout = timeout;
  // A client names a backup file; only the node chooses where it goes.
  opts.backup_path
      = [dir = std::move(backup_dir),
         log](const std::string& name) -> caf::expected<std::string> {
    if (dir.empty())
      return caf::make_error(errc::backups_disabled,
                             "backups are disabled on this node (set "
                             "node.backup-dir)");
    if (auto err = validate_backup_name(name)) {
      log->warn("front: refused backup name: {}", render(err));
      return err;
    }
    return dir + "/" + name;
  };
  // A client that closes the store would refuse every later write of every
  // client until a restart. Stopping the store is the host's job: the node's
  // shutdown flushes, checkpoints and closes it.
  opts.refuse_close
      = "close is not a remote operation: the store is closed by its host "
        "(stop the node with SIGTERM; its shutdown flushes and closes the "
        "store)";
  // Published: any peer can send exit messages.
  opts.survive_exit_messages = true;
  auto front = app::spawn_store_forwarder(sys, std::move(store),
                                          std::move(opts), std::move(log));
  // Published as the store's public interface, nothing more.
  return caf::actor_cast<cursor_actor>(std::move(front));
}

} // namespace cursor::node
