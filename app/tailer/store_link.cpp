#include "tailer/store_link.hpp"

#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/node_id.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/logger.h>

#include "common/tls.hpp"
#include "cursor_actor/actors.hpp"
#include "tailer/error.hpp"

namespace cursor::tailer {

namespace {

struct link_state {
  link_options opts;
  std::shared_ptr<spdlog::logger> log;
  /// The node's front while connected.
  cursor_actor node;
  bool connecting = false;
  /// Whether the last attempt failed (for logging once per state change).
  bool unreachable_logged = false;
  bool ever_connected = false;
  uint64_t failures = 0;
  caf::timespan delay{0};
  uint64_t token = 0;
  std::minstd_rand rng{std::random_device{}()};
  /// Forwarded requests not answered yet: failed at once when the
  /// connection is lost (CAF would let them run into their timeout).
  std::map<uint64_t, std::function<void(const caf::error&)>> pending;
  uint64_t next_request = 0;

  static inline const char* name = "store_link";
};

using link_pointer = store_link_actor::stateful_pointer<link_state>;

caf::error unavailable(link_pointer self) {
  return caf::make_error(errc::store_unavailable,
                         "not connected to the cursor node at "
                             + self->state.opts.node.to_string()
                             + " (reconnecting)");
}

caf::error wrap(link_pointer self, caf::error err) {
  if (err.category() == caf::atom("cursor"))
    return err;
  return caf::make_error(errc::store_unavailable,
                         "the cursor node at "
                             + self->state.opts.node.to_string()
                             + " did not answer: " + describe(err));
}

void connect(link_pointer self);

void schedule_reconnect(link_pointer self) {
  auto& st = self->state;
  st.delay = st.delay.count() == 0
                 ? st.opts.retry_base_delay
                 : std::min(st.delay * 2, st.opts.retry_max_delay);
  st.token = st.rng() | 1;
  self->delayed_send(self, st.delay, reconnect_atom_v, st.token);
}

void on_connected(link_pointer self, cursor_actor node) {
  auto& st = self->state;
  st.connecting = false;
  st.node = std::move(node);
  self->monitor(st.node);
  if (st.ever_connected)
    st.log->info("reconnected to the cursor node at {}{}",
                 st.opts.node.to_string(),
                 st.failures > 0 ? " after " + std::to_string(st.failures)
                                       + " failed attempts"
                                 : std::string{});
  else
    st.log->info("connected to the cursor node at {}",
                 st.opts.node.to_string());
  st.ever_connected = true;
  st.unreachable_logged = false;
  st.failures = 0;
  st.delay = caf::timespan{0};
}

void on_failed(link_pointer self, const std::string& why) {
  auto& st = self->state;
  st.connecting = false;
  ++st.failures;
  if (!st.unreachable_logged) {
    st.log->warn("cannot reach the cursor node at {}: {}; retrying with "
                 "backoff",
                 st.opts.node.to_string(), why);
    st.unreachable_logged = true;
  } else {
    st.log->debug("cursor node at {} still unreachable: {}",
                  st.opts.node.to_string(), why);
  }
  schedule_reconnect(self);
}

// One line for a failed connection attempt, with a hint where CAF's code
// alone would puzzle an operator.
std::string connect_failure(link_pointer self, const caf::error& err) {
  bool tls = self->system().has_openssl_manager();
  bool tcp = err == caf::sec::cannot_connect_to_node && !err.context().empty();
  if (err == caf::sec::request_timeout)
    return "no answer within the connect timeout";
  if (tcp)
    return "connection refused or host unreachable (" + describe(err) + ")";
  if (tls
      && (err == caf::sec::cannot_connect_to_node
          || err == caf::sec::disconnect_during_handshake))
    return "the TLS handshake failed or the node closed the connection (does "
           "the node use TLS, accept certificates from our CA, and have a "
           "certificate signed by a CA in tls.ca-file?)";
  if (err == caf::sec::disconnect_during_handshake)
    return "the node closed the connection during the handshake (a node "
           "with TLS needs tls.certificate, tls.key and tls.ca-file here; a "
           "node of another protocol version refuses too)";
  return describe(err);
}

void connect(link_pointer self) {
  auto& st = self->state;
  if (st.connecting || st.node)
    return;
  st.connecting = true;
  self->request(app::middleman_handle(self->system()), st.opts.connect_timeout,
                caf::connect_atom_v, st.opts.node.host, st.opts.node.port)
      .then(
          [self](const caf::node_id&, caf::strong_actor_ptr& ptr,
                 const std::set<std::string>& ifs) {
            if (!ptr) {
              on_failed(self, "no actor is published there");
              return;
            }
            if (!self->system().assignable<cursor_actor>(ifs)) {
              on_failed(self, "the actor published there is not a cursor node");
              return;
            }
            on_connected(self, caf::actor_cast<cursor_actor>(std::move(ptr)));
          },
          [self](caf::error& err) {
            on_failed(self, connect_failure(self, err));
          });
}

// Forwards (xs...) to the node and answers through a promise; never
// delegate(), which would hand the node's handle around.
template <class Result, class... Ts>
caf::result<Result> forward(link_pointer self, Ts... xs) {
  auto& st = self->state;
  // While disconnected, an attempt is running or scheduled (after a loss,
  // at start, after each failure): requests do not add attempts.
  if (!st.node)
    return unavailable(self);
  auto rp = self->make_response_promise<Result>();
  auto id = ++st.next_request;
  st.pending.emplace(id,
                     [rp](const caf::error& err) mutable { rp.deliver(err); });
  self->request(st.node, st.opts.request_timeout, std::move(xs)...)
      .then(
          [self, rp, id](Result& x) mutable {
            if (self->state.pending.erase(id) > 0)
              rp.deliver(std::move(x));
          },
          [self, rp, id](caf::error& err) mutable {
            if (self->state.pending.erase(id) > 0)
              rp.deliver(wrap(self, std::move(err)));
          });
  return rp;
}

store_link_actor::behavior_type link(link_pointer self, link_options opts,
                                     std::shared_ptr<spdlog::logger> log) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.log = std::move(log);
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    if (!st.node || msg.source != st.node.address())
      return;
    st.log->warn("lost the connection to the cursor node at {} ({}); "
                 "reconnecting",
                 st.opts.node.to_string(), describe(msg.reason));
    st.node = nullptr;
    st.delay = caf::timespan{0};
    auto pending = std::move(st.pending);
    st.pending.clear();
    auto err = caf::make_error(errc::store_unavailable,
                               "lost the connection to the cursor node at "
                                   + st.opts.node.to_string()
                                   + " before it answered");
    for (auto& kvp : pending)
      kvp.second(err);
    connect(self);
  });
  self->set_error_handler([](caf::error&) {
    // A stray error message must not end the link.
  });
  connect(self);
  return {
      [self](get_atom a, start_atom s, std::string& peer) {
        return forward<std::string>(self, a, s, std::move(peer));
      },
      [self](set_atom a, std::string& peer, std::string& id) {
        return forward<ok_atom>(self, a, std::move(peer), std::move(id));
      },
      [self](set_atom a, std::vector<std::string>& peers,
             std::vector<std::string>& ids) {
        return forward<ok_atom>(self, a, std::move(peers), std::move(ids));
      },
      [self](flush_atom a) { return forward<uint64_t>(self, a); },
      [self](reconnect_atom, uint64_t token) {
        if (token != self->state.token)
          return;
        connect(self);
      },
  };
}

} // namespace

store_link_actor spawn_store_link(caf::actor_system& sys, link_options opts,
                                  std::shared_ptr<spdlog::logger> log) {
  return sys.spawn(link, std::move(opts), std::move(log));
}

} // namespace cursor::tailer
