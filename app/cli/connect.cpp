#include "cli/connect.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/node_id.hpp>
#include <caf/scoped_actor.hpp>

#include "common/describe.hpp"
#include "cursor_actor/register_types.hpp"

namespace cursor::cli {

namespace {

std::string endpoint(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string millis(caf::timespan x) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(x).count();
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

} // namespace

void make_client_config(caf::actor_system_config& cfg, const char* app_id) {
  cfg.load<caf::io::middleman>();
  cursor::register_types(cfg);
  cfg.set("middleman.app-identifiers", std::vector<std::string>{app_id});
  cfg.set("scheduler.max-threads", 2);
}

std::optional<cursor_actor>
connect_to_node(caf::actor_system& sys, const std::string& host, uint16_t port,
                caf::timespan timeout, std::string& error) {
  using steady = std::chrono::steady_clock;
  std::optional<cursor_actor> result;
  caf::scoped_actor self{sys};
  auto where = endpoint(host, port);
  auto start = steady::now();
  auto deadline = start + timeout;
  // A refused connection is retried briefly: a node that republishes its
  // front (after a peer killed it) or restarts refuses connections for a
  // few milliseconds. Nothing listening still fails fast.
  auto refused_until = start + std::min(timeout, refused_grace);
  auto delay = caf::timespan{std::chrono::milliseconds(20)};
  for (;;) {
    caf::error failure;
    auto left
        = std::chrono::duration_cast<caf::timespan>(deadline - steady::now());
    // TLS (a later issue) hooks in here: caf::openssl::remote_actor has no
    // timeout either, so it would need the same asynchronous treatment.
    self->request(sys.middleman().actor_handle(),
                  std::max(left, caf::timespan{1}), caf::connect_atom_v, host,
                  port)
        .receive(
            [&](const caf::node_id&, caf::strong_actor_ptr& ptr,
                const std::set<std::string>& ifs) {
              if (!ptr)
                error = "no actor is published at " + where;
              else if (!sys.assignable<cursor_actor>(ifs))
                error = "the actor at " + where
                        + " is not a cursor node (its interface differs)";
              else
                result = caf::actor_cast<cursor_actor>(std::move(ptr));
            },
            [&](caf::error& err) { failure = std::move(err); });
    if (!failure)
      return result;
    if (failure == caf::sec::cannot_connect_to_node
        && steady::now() + delay < refused_until) {
      self->receive(caf::after(delay) >> [] {});
      delay *= 2;
      continue;
    }
    if (failure == caf::sec::request_timeout)
      error = "no answer from " + where + " within " + millis(timeout)
              + " (is a cursor node listening there?)";
    else if (failure == caf::sec::cannot_connect_to_node)
      error = "cannot connect to " + where
              + " (connection refused or host unreachable)";
    else
      error = "cannot connect to " + where + ": " + app::describe(failure);
    return std::nullopt;
  }
}

} // namespace cursor::cli
