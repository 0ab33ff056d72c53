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

} // namespace

void make_client_config(caf::actor_system_config& cfg, const char* app_id,
                        const app::tls_files& tls) {
  cfg.load<caf::io::middleman>();
  if (tls.enabled())
    app::enable_tls(cfg, tls);
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
    // With TLS the openssl manager's middleman actor connects: it opens the
    // socket, wraps it in an OpenSSL session and hands it to the same BASP
    // broker; the TLS handshake runs on the multiplexer thread, inside this
    // request's timeout.
    self->request(app::middleman_handle(sys), std::max(left, caf::timespan{1}),
                  caf::connect_atom_v, host, port)
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
    // A TCP-level failure carries CAF's context ("ip_connect failed"); the
    // openssl middleman reports a TLS session that failed at once (e.g. the
    // peer sent plain BASP bytes) with the bare code.
    bool tcp_failure = failure == caf::sec::cannot_connect_to_node
                       && !failure.context().empty();
    if (tcp_failure && steady::now() + delay < refused_until) {
      self->receive(caf::after(delay) >> [] {});
      delay *= 2;
      continue;
    }
    bool tls = sys.has_openssl_manager();
    if (failure == caf::sec::request_timeout)
      error = "no answer from " + where + " within "
              + app::duration_text(timeout)
              + " (is a cursor node listening there?)";
    else if (tcp_failure)
      error = "cannot connect to " + where
              + " (connection refused or host unreachable)";
    else if (tls
             && (failure == caf::sec::cannot_connect_to_node
                 || failure == caf::sec::disconnect_during_handshake))
      error = "cannot connect to " + where
              + ": the TLS handshake failed or the node closed the "
                "connection (does the node use TLS, accept certificates "
                "from our CA, and have a certificate signed by a CA in "
                "--tls-ca?)";
    else if (failure == caf::sec::disconnect_during_handshake)
      error = "cannot connect to " + where
              + ": the node closed the connection during the handshake (a "
                "node with TLS needs --tls-cert, --tls-key and --tls-ca; a "
                "node of another protocol version refuses too)";
    else
      error = "cannot connect to " + where + ": " + app::describe(failure);
    return std::nullopt;
  }
}

} // namespace cursor::cli
