#include "node/node_program.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/logger.h>

#include "common/describe.hpp"
#include "common/descriptor_limit.hpp"
#include "node/accept_guard.hpp"
#include "node/front.hpp"

namespace cursor::node {

namespace {

// A delayed retry of publishing a replaced front, with its generation.
using republish_atom = caf::atom_constant<caf::atom("republish")>;

std::string endpoint(const std::string& address, uint16_t port) {
  auto host = address.empty() ? std::string{"0.0.0.0"} : address;
  if (host.find(':') != std::string::npos)
    host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

bool is_loopback(const std::string& address) {
  return address == "localhost" || address == "::1"
         || address.compare(0, 4, "127.") == 0;
}

} // namespace

node_program::node_program() {
  traits_.info
      = {"cursor_node",
         "cursor_node.ini",
         "Hosts a cursor store and publishes it to CAF peers and cursorctl\n"
         "(docs/NODE.md).\n",
         {"cursor", "node", "tls"},
         "--node.port=4242",
         "0 stopped cleanly, 1 configuration refused, 2 database or port\n"
         "unusable, 3 final flush failed, 4 shutdown deadline passed "
         "(docs/NODE.md)"};
  traits_.group = "node";
  traits_.request_timeout = std::chrono::seconds(30);
  traits_.request_timeout_help = "how long the front waits for the store (30s)";
  traits_.tls = app::tls_role::server;
  traits_.unflushed = "changes not flushed yet are lost";
}

void node_program::declare_options(caf::config_option_adder& group) {
  declare_node_options(group);
}

std::string node_program::read_options(const caf::actor_system_config& cfg,
                                       app::program_choices&) {
  // The node always hosts the store and may always use TLS: the defaults.
  return read_node_options(cfg, opts_);
}

void node_program::prepare(const std::shared_ptr<spdlog::logger>& log,
                           const app::host_options& opts) {
  // Keeps 16 descriptors for the database, the metrics file and the log.
  install_accept_guard(app::descriptor_limit(), 16, log);
  if (!opts.tls.enabled() && !is_loopback(opts_.bind_address))
    log->warn("publishing on '{}' without TLS: any peer that reaches the "
              "port can read and rewrite cursors (see tls.* in "
              "docs/NODE.md)",
              opts_.bind_address.empty() ? "all interfaces"
                                         : opts_.bind_address);
}

// The one place the node listens: plain BASP, or BASP inside mutual TLS (the
// host checked the files and loaded the openssl manager). Both doormen
// belong to the one BASP broker, so middleman().close(port) closes either.
// SO_REUSEADDR: after a crash, connections of the old process linger in
// TIME_WAIT on this port and would keep a restarted node from binding it
// for a minute; a second live listener is still refused.
caf::expected<uint16_t> node_program::publish(app::host_context& ctx,
                                              uint16_t port) {
  const char* address
      = opts_.bind_address.empty() ? nullptr : opts_.bind_address.c_str();
  if (ctx.options().tls.enabled())
    return caf::openssl::publish(front_, port, address, true);
  return ctx.system().middleman().publish(front_, port, address, true);
}

void node_program::spawn_new_front(app::host_context& ctx) {
  front_ = spawn_front(ctx.system(), ctx.store(), ctx.options().request_timeout,
                       ctx.logger(), opts_.backup_dir);
  ctx.self()->monitor(front_);
}

app::start_result node_program::start(app::host_context& ctx) {
  app::start_result result;
  spawn_new_front(ctx);
  auto port = publish(ctx, opts_.port);
  if (!port) {
    result.refusal = "cannot listen on "
                     + endpoint(opts_.bind_address, opts_.port) + ": "
                     + app::describe(port.error());
    ctx.self()->send_exit(front_, caf::exit_reason::kill);
    front_ = nullptr;
    return result;
  }
  port_ = *port;
  published_ = true;
  if (!opts_.backup_dir.empty())
    ctx.log().info("backups (cursorctl backup NAME) go to '{}'",
                   opts_.backup_dir);
  auto where = endpoint(opts_.bind_address, port_);
  result.log_line = "listening on " + where + ", database '"
                    + ctx.options().store->storage.db_path + "', "
                    + std::to_string(ctx.restored()) + " cursors restored";
  result.status = "listening on " + where;
  return result;
}

caf::message_handler node_program::handlers(app::host_context& ctx) {
  return {[this, &ctx](republish_atom, uint64_t generation) {
    if (generation == republish_generation_ && front_ && !published_)
      try_republish(ctx);
  }};
}

// A peer killed the front (or it died some other way): close its port and
// publish a fresh front there. The store is not involved.
bool node_program::on_down(app::host_context& ctx, const caf::down_msg& msg) {
  if (!front_ || msg.source != front_.address())
    return false;
  ++front_restarts_;
  ctx.log().warn("the front actor terminated ({}); replacing it on {}",
                 app::describe(msg.reason),
                 endpoint(opts_.bind_address, port_));
  if (auto closed = ctx.system().middleman().close(port_); !closed)
    ctx.log().debug("closing port {}: {}", port_,
                    app::describe(closed.error()));
  published_ = false;
  spawn_new_front(ctx);
  ++republish_generation_;
  republish_attempts_ = 0;
  republish_delay_ = std::chrono::milliseconds(10);
  try_republish(ctx);
  return true;
}

// The middleman closes the old listening socket asynchronously, on its
// multiplexer thread: binding the port again may fail for a moment. Retried
// with backoff, bounded (about 4 s), through delayed messages to the host's
// actor, so that signals, the store's death and the metrics are served in
// between.
void node_program::try_republish(app::host_context& ctx) {
  auto port = publish(ctx, port_);
  ++republish_attempts_;
  if (port) {
    published_ = true;
    ctx.log().info("republished the front on {} (restart {})",
                   endpoint(opts_.bind_address, *port), front_restarts_);
    return;
  }
  if (republish_attempts_ < 20) {
    ctx.self()->delayed_send(ctx.supervisor(), republish_delay_,
                             republish_atom::value, republish_generation_);
    republish_delay_ = std::min(republish_delay_ * 2,
                                caf::timespan{std::chrono::milliseconds(250)});
    return;
  }
  ctx.log().error("cannot republish the front on {}: {}; shutting down",
                  endpoint(opts_.bind_address, port_),
                  app::describe(port.error()));
  ctx.self()->send_exit(front_, caf::exit_reason::kill);
  front_ = nullptr;
  ctx.end_run(app::exit_unclean);
}

std::string node_program::metrics(app::host_context&, caf::timespan) {
  return "# HELP replication_cursor_node_front_restarts_total Fronts "
         "republished after the published one died.\n"
         "# TYPE replication_cursor_node_front_restarts_total counter\n"
         "replication_cursor_node_front_restarts_total "
         + std::to_string(front_restarts_) + "\n"
         + "# HELP replication_cursor_node_refused_connections_total "
           "Connections closed at once because too few file descriptors "
           "were left.\n"
           "# TYPE replication_cursor_node_refused_connections_total "
           "counter\n"
           "replication_cursor_node_refused_connections_total "
         + std::to_string(refused_connections()) + "\n";
}

void node_program::stop(app::host_context& ctx, clock::time_point) {
  if (!front_)
    return;
  // Stop accepting first: no new client reaches the store from here on.
  if (published_) {
    if (auto closed = ctx.system().middleman().close(port_); !closed)
      ctx.log().warn("closing port {}: {}", port_,
                     app::describe(closed.error()));
    else
      ctx.log().info("stopped accepting connections on {}",
                     endpoint(opts_.bind_address, port_));
  }
  ctx.self()->send_exit(front_, caf::exit_reason::kill);
  front_ = nullptr;
}

void node_program::release(app::host_context&) {
  // The front went in stop(); the store is the host's.
}

} // namespace cursor::node
