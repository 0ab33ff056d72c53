#include "tailer/store_link.hpp"

#include <utility>

#include "cursor_actor/actors.hpp"

namespace cursor::tailer {

store_link_actor spawn_store_link(caf::actor_system& sys, link_options opts,
                                  std::shared_ptr<spdlog::logger> log) {
  app::forwarder_options fo;
  fo.store_name = "the cursor node at " + opts.node.to_string();
  fo.request_timeout = opts.request_timeout;
  app::remote_store remote;
  remote.host = opts.node.host;
  remote.port = opts.node.port;
  remote.connect_timeout = opts.connect_timeout;
  remote.retry_base_delay = opts.retry_base_delay;
  remote.retry_max_delay = opts.retry_max_delay;
  fo.remote = std::move(remote);
  return app::spawn_store_forwarder(sys, cursor_actor{}, std::move(fo),
                                    std::move(log));
}

} // namespace cursor::tailer
