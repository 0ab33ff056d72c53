#pragma once

// cursor_node as a program of the process host (common/program.hpp): the
// host opens the store; the node publishes a front actor for it, replaces a
// front that dies, and adds its own metrics.

#include <cstdint>

#include <caf/fwd.hpp>

#include "common/program.hpp"
#include "cursor_actor/actors.hpp"
#include "node/node_config.hpp"

namespace cursor::node {

/// The node: `node.*` options (node_config.hpp) and the front.
/// - start(): spawns a front for the store and publishes it on
///   `node.bind-address:node.port` (plain BASP, or mutual TLS); a port that
///   cannot be bound refuses the start (exit 2). The start line names the
///   real address, the database and the cursors restored.
/// - while serving: a front that dies (any peer can kill a published actor)
///   is replaced: its port closed, a fresh front published on the same
///   port, retried with backoff (10 ms doubling to 250 ms, 20 attempts,
///   about 4 s) while the old socket closes; if that fails the run ends
///   (exit 3). The store is not involved.
/// - metrics: `replication_cursor_node_front_restarts_total` and
///   `replication_cursor_node_refused_connections_total`.
/// - stop(): closes the port (no new client reaches the store) and kills
///   the front.
class node_program : public app::program {
public:
  node_program();

  const app::program_traits& traits() const override { return traits_; }

  void declare_options(caf::config_option_adder& group) override;

  std::string read_options(const caf::actor_system_config& cfg,
                           app::program_choices& choices) override;

  void prepare(const std::shared_ptr<spdlog::logger>& log,
               const app::host_options& opts) override;

  app::start_result start(app::host_context& ctx) override;

  caf::message_handler handlers(app::host_context& ctx) override;

  bool on_down(app::host_context& ctx, const caf::down_msg& msg) override;

  std::string metrics(app::host_context& ctx, caf::timespan timeout) override;

  void stop(app::host_context& ctx, clock::time_point deadline) override;

  void release(app::host_context& ctx) override;

private:
  void spawn_new_front(app::host_context& ctx);
  caf::expected<uint16_t> publish(app::host_context& ctx, uint16_t port);
  void try_republish(app::host_context& ctx);

  app::program_traits traits_;
  node_options opts_;
  cursor_actor front_;
  uint16_t port_ = 0;
  /// False from the death of a published front until its successor is
  /// published.
  bool published_ = false;
  uint64_t front_restarts_ = 0;
  /// The republishing in progress: a delayed retry of another one is stale.
  uint64_t republish_generation_ = 0;
  int republish_attempts_ = 0;
  caf::timespan republish_delay_{0};
};

} // namespace cursor::node
