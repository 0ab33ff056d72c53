#include "tailer/store_link.hpp"

#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/node_id.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/logger.h>

#include "common/tls.hpp"
#include "cursor_actor/actors.hpp"
#include "cursor_actor/error.hpp"
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
  /// The last position the node acknowledged per peer not forgotten: sent
  /// again at each reconnection (the replay, see store_link.hpp).
  std::map<std::string, std::string> acked;
  /// Peers stopped for good: their acknowledgements are no longer kept
  /// (the pipeline records once more after it stopped).
  std::set<std::string> forgotten;
  /// While the replay runs, requests wait here, in order; each is called
  /// with true to forward it, false to fail it (the replay failed).
  bool replaying = false;
  uint64_t replay_token = 0;
  std::vector<std::function<void(bool)>> deferred;

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

void note_acked(link_pointer self, const std::string& peer,
                const std::string& id) {
  auto& st = self->state;
  if (st.forgotten.count(peer) == 0)
    st.acked[peer] = id;
}

void release_deferred(link_pointer self, bool forward) {
  auto& st = self->state;
  st.replaying = false;
  ++st.replay_token;
  auto waiting = std::move(st.deferred);
  st.deferred.clear();
  for (auto& f : waiting)
    f(forward);
}

// The node is no longer usable: what waits for it fails; a connection
// attempt follows at once (lost) or after the backoff (a failed replay).
void drop_node(link_pointer self, const caf::error& err) {
  auto& st = self->state;
  if (st.node)
    self->demonitor(st.node.address());
  st.node = nullptr;
  auto pending = std::move(st.pending);
  st.pending.clear();
  for (auto& kvp : pending)
    kvp.second(err);
  release_deferred(self, false);
}

void on_failed(link_pointer self, const std::string& why);

void replay_failed(link_pointer self, const caf::error& err) {
  auto why
      = "sending the acknowledged positions again failed: " + describe(err);
  drop_node(self, caf::make_error(errc::store_unavailable,
                                  "the cursor node at "
                                      + self->state.opts.node.to_string() + ": "
                                      + why));
  on_failed(self, why);
}

void replay_done(link_pointer self, size_t sent, size_t refused) {
  self->state.log->info("sent the last acknowledged positions of {} peers to "
                        "the cursor node again ({} refused)",
                        sent, refused);
  release_deferred(self, true);
}

bool refusal(const caf::error& err) {
  return cursor::is(err, cursor::errc::regression)
         || cursor::is(err, cursor::errc::invalid_peer_id)
         || cursor::is(err, cursor::errc::invalid_stream_id);
}

// The batch was refused (all or nothing): one set per peer, so that one
// refusal does not keep the others back.
void replay_one_by_one(link_pointer self, uint64_t token,
                       std::vector<std::string> peers,
                       std::vector<std::string> ids) {
  auto& st = self->state;
  struct tally {
    size_t left = 0;
    size_t refused = 0;
    caf::error failure;
  };
  auto t = std::make_shared<tally>();
  t->left = peers.size();
  for (size_t i = 0; i < peers.size(); ++i) {
    auto finish = [self, token, t, peer = peers[i],
                   id = ids[i]](const caf::error& err) {
      if (token != self->state.replay_token)
        return;
      if (err && refusal(err)) {
        ++t->refused;
        self->state.log->warn("peer '{}': the cursor node refused its last "
                              "acknowledged position {} again: {}",
                              peer, id, describe(err));
        auto i = self->state.acked.find(peer);
        if (i != self->state.acked.end() && i->second == id)
          self->state.acked.erase(i);
      } else if (err && !t->failure) {
        t->failure = err;
      }
      if (--t->left > 0)
        return;
      if (t->failure)
        replay_failed(self, t->failure);
      else
        replay_done(self, self->state.acked.size(), t->refused);
    };
    self->request(st.node, st.opts.request_timeout, set_atom_v, peers[i],
                  ids[i])
        .then([finish](ok_atom) { finish(caf::error{}); },
              [finish](caf::error& err) { finish(err); });
  }
}

void replay(link_pointer self) {
  auto& st = self->state;
  if (st.acked.empty())
    return;
  st.replaying = true;
  auto token = ++st.replay_token;
  std::vector<std::string> peers;
  std::vector<std::string> ids;
  for (auto& [peer, id] : st.acked) {
    peers.push_back(peer);
    ids.push_back(id);
  }
  self->request(st.node, st.opts.request_timeout, set_atom_v, peers, ids)
      .then(
          [self, token, n = peers.size()](ok_atom) {
            if (token == self->state.replay_token)
              replay_done(self, n, 0);
          },
          [self, token, peers, ids](caf::error& err) mutable {
            if (token != self->state.replay_token)
              return;
            if (refusal(err))
              replay_one_by_one(self, token, std::move(peers), std::move(ids));
            else
              replay_failed(self, err);
          });
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
  replay(self);
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
  auto connector = st.opts.connector ? st.opts.connector
                                     : caf::actor_cast<caf::actor>(
                                         app::middleman_handle(self->system()));
  self->request(connector, st.opts.connect_timeout, caf::connect_atom_v,
                st.opts.node.host, st.opts.node.port)
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

// Sends (xs...) to the node and answers through rp; never delegate(), which
// would hand the node's handle around.
template <class Result, class OnOk, class... Ts>
void send_to_node(link_pointer self, caf::typed_response_promise<Result> rp,
                  OnOk on_ok, Ts... xs) {
  auto& st = self->state;
  if (!st.node) {
    rp.deliver(unavailable(self));
    return;
  }
  auto id = ++st.next_request;
  st.pending.emplace(id,
                     [rp](const caf::error& err) mutable { rp.deliver(err); });
  self->request(st.node, st.opts.request_timeout, std::move(xs)...)
      .then(
          [self, rp, id, on_ok](Result& x) mutable {
            if (self->state.pending.erase(id) > 0) {
              on_ok();
              rp.deliver(std::move(x));
            }
          },
          [self, rp, id](caf::error& err) mutable {
            if (self->state.pending.erase(id) > 0)
              rp.deliver(wrap(self, std::move(err)));
          });
}

// Forwards (xs...) to the node, after the replay when one runs; on_ok runs
// when the node acknowledged.
template <class Result, class OnOk, class... Ts>
caf::result<Result> forward_then(link_pointer self, OnOk on_ok, Ts... xs) {
  auto& st = self->state;
  // While disconnected, an attempt is running or scheduled (after a loss,
  // at start, after each failure): requests do not add attempts.
  if (!st.node)
    return unavailable(self);
  auto rp = self->make_response_promise<Result>();
  if (st.replaying) {
    st.deferred.emplace_back([self, rp, on_ok, xs...](bool go) mutable {
      if (go)
        send_to_node<Result>(self, rp, on_ok, std::move(xs)...);
      else
        rp.deliver(unavailable(self));
    });
    return rp;
  }
  send_to_node<Result>(self, rp, on_ok, std::move(xs)...);
  return rp;
}

template <class Result, class... Ts>
caf::result<Result> forward(link_pointer self, Ts... xs) {
  return forward_then<Result>(
      self, [] {}, std::move(xs)...);
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
    st.delay = caf::timespan{0};
    drop_node(self, caf::make_error(errc::store_unavailable,
                                    "lost the connection to the cursor node at "
                                        + st.opts.node.to_string()
                                        + " before it answered"));
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
        auto on_ok = [self, peer, id] { note_acked(self, peer, id); };
        return forward_then<ok_atom>(self, on_ok, a, std::move(peer),
                                     std::move(id));
      },
      [self](set_atom a, std::vector<std::string>& peers,
             std::vector<std::string>& ids) {
        auto on_ok = [self, peers, ids] {
          for (size_t i = 0; i < peers.size() && i < ids.size(); ++i)
            note_acked(self, peers[i], ids[i]);
        };
        return forward_then<ok_atom>(self, on_ok, a, std::move(peers),
                                     std::move(ids));
      },
      [self](flush_atom a) { return forward<uint64_t>(self, a); },
      [self](forget_atom, std::string& peer) {
        self->state.acked.erase(peer);
        self->state.forgotten.insert(std::move(peer));
      },
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
