#include "common/store_forwarder.hpp"

#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/node_id.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/logger.h>

#include "common/describe.hpp"
#include "common/tls.hpp"
#include "cursor_actor/error.hpp"

namespace cursor::app {

namespace {

struct forwarder_state {
  forwarder_options opts;
  std::shared_ptr<spdlog::logger> log;
  /// The store (remote: the node's front while connected).
  cursor_actor target;
  /// Forwarded requests not answered yet, by id: failed at once when the
  /// connection is lost (CAF would let them run into their timeout).
  std::map<uint64_t, std::function<void(const caf::error&)>> pending;
  uint64_t next_request = 0;
  // Remote only.
  bool connecting = false;
  bool unreachable_logged = false;
  bool ever_connected = false;
  uint64_t failures = 0;
  caf::timespan delay{0};
  uint64_t token = 0;
  std::minstd_rand rng{std::random_device{}()};
  /// Counts connections: a connection step's calls and answers that carry
  /// an older one are stale.
  uint64_t connection = 0;
  /// While the connection step runs (hooks.on_connect), requests wait here,
  /// in order: called with no error to forward them, else to fail them.
  bool stepping = false;
  std::vector<std::function<void(const caf::error&)>> held;

  static inline const char* name = "store_forwarder";
};

using forwarder_pointer
    = store_forwarder_actor::stateful_pointer<forwarder_state>;

caf::error not_connected(forwarder_pointer self) {
  auto& st = self->state;
  if (st.opts.remote)
    return caf::make_error(errc::unavailable,
                           "not connected to " + st.opts.store_name
                               + " (reconnecting); the request was not sent");
  return caf::make_error(errc::unavailable,
                         st.opts.store_name
                             + " is gone; the request was not sent");
}

// -- connecting (remote only) -------------------------------------------------

void connect(forwarder_pointer self);

void start_step(forwarder_pointer self);

void schedule_reconnect(forwarder_pointer self) {
  auto& st = self->state;
  auto& r = *st.opts.remote;
  st.delay = st.delay.count() == 0 ? r.retry_base_delay
                                   : std::min(st.delay * 2, r.retry_max_delay);
  st.token = st.rng() | 1;
  self->delayed_send(self, st.delay, reconnect_atom_v, st.token);
}

void on_connected(forwarder_pointer self, cursor_actor node) {
  auto& st = self->state;
  st.connecting = false;
  st.target = std::move(node);
  self->monitor(st.target);
  if (st.ever_connected)
    st.log->info("reconnected to {}{}", st.opts.store_name,
                 st.failures > 0 ? " after " + std::to_string(st.failures)
                                       + " failed attempts"
                                 : std::string{});
  else
    st.log->info("connected to {}", st.opts.store_name);
  st.ever_connected = true;
  st.unreachable_logged = false;
  st.failures = 0;
  st.delay = caf::timespan{0};
  ++st.connection;
  if (st.opts.hooks.on_connect)
    start_step(self);
}

void on_connect_failed(forwarder_pointer self, const std::string& why) {
  auto& st = self->state;
  st.connecting = false;
  ++st.failures;
  if (!st.unreachable_logged) {
    st.log->warn("cannot reach {}: {}; retrying with backoff",
                 st.opts.store_name, why);
    st.unreachable_logged = true;
  } else {
    st.log->debug("{} still unreachable: {}", st.opts.store_name, why);
  }
  schedule_reconnect(self);
}

// One line for a failed connection attempt, with a hint where CAF's code
// alone would puzzle an operator.
std::string connect_failure(forwarder_pointer self, const caf::error& err) {
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

void connect(forwarder_pointer self) {
  auto& st = self->state;
  if (st.connecting || st.target)
    return;
  st.connecting = true;
  auto& r = *st.opts.remote;
  auto mm = r.connector ? r.connector : middleman_handle(self->system());
  self->request(mm, r.connect_timeout, caf::connect_atom_v, r.host, r.port)
      .then(
          [self](const caf::node_id&, caf::strong_actor_ptr& ptr,
                 const std::set<std::string>& ifs) {
            if (!ptr) {
              on_connect_failed(self, "no actor is published there");
              return;
            }
            if (!self->system().assignable<cursor_actor>(ifs)) {
              on_connect_failed(
                  self, "the actor published there is not a cursor node");
              return;
            }
            on_connected(self, caf::actor_cast<cursor_actor>(std::move(ptr)));
          },
          [self](caf::error& err) {
            on_connect_failed(self, connect_failure(self, err));
          });
}

// -- the connection step (hooks.on_connect) -----------------------------------

bool step_live(forwarder_pointer self, uint64_t connection) {
  auto& st = self->state;
  return st.stepping && st.connection == connection && st.target;
}

// Ends a running step: the held requests go on (no error) or fail with
// `err`. Later calls and answers of the step are stale (step_live).
void end_step(forwarder_pointer self, const caf::error& err) {
  auto& st = self->state;
  if (!st.stepping)
    return;
  st.stepping = false;
  auto held = std::move(st.held);
  st.held.clear();
  for (auto& f : held)
    f(err);
}

// The step failed: a failed connection (the next attempt after the
// backoff, which runs the step again).
void fail_step(forwarder_pointer self, const std::string& why) {
  auto& st = self->state;
  self->demonitor(st.target.address());
  st.target = nullptr;
  end_step(self, caf::make_error(errc::unavailable,
                                 "connected to " + st.opts.store_name + ", but "
                                     + why + "; the request was not sent"));
  on_connect_failed(self, why);
}

void start_step(forwarder_pointer self) {
  auto& st = self->state;
  st.stepping = true;
  auto connection = st.connection;
  connection_step step;
  step.send_set
      = [self, connection](std::vector<std::string> peers,
                           std::vector<std::string> ids,
                           std::function<void(const caf::error&)> then) {
          if (!step_live(self, connection))
            return;
          auto& st = self->state;
          self->request(st.target, st.opts.request_timeout, set_atom_v,
                        std::move(peers), std::move(ids))
              .then(
                  [self, connection, then](ok_atom) {
                    if (step_live(self, connection))
                      then(caf::error{});
                  },
                  [self, connection, then](caf::error& err) {
                    if (step_live(self, connection))
                      then(err);
                  });
        };
  step.done = [self, connection] {
    if (step_live(self, connection))
      end_step(self, caf::error{});
  };
  step.fail = [self, connection](const std::string& why) {
    if (step_live(self, connection))
      fail_step(self, why);
  };
  st.opts.hooks.on_connect(std::move(step));
}

void on_down(forwarder_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  // The forwarder monitors its target only, and CAF sends a monitor's down
  // message from the actor that died: anything else is stale or forged
  // (anyone who reaches a published forwarder can send a down message, and
  // actor IDs are guessable).
  auto sender = self->current_sender();
  if (!st.target || msg.source != st.target.address() || sender == nullptr
      || sender->address() != msg.source) {
    st.log->debug("ignored a down message not about the store");
    return;
  }
  std::string what;
  if (st.opts.remote) {
    st.log->warn("lost the connection to {} ({}); reconnecting",
                 st.opts.store_name, describe(msg.reason));
    what = "lost the connection to " + st.opts.store_name;
  } else {
    st.log->warn("{} terminated ({})", st.opts.store_name,
                 describe(msg.reason));
    what = st.opts.store_name + " went away";
  }
  st.target = nullptr;
  st.delay = caf::timespan{0};
  // A store that dies drops the promises it holds without an answer: without
  // this, their requesters would wait for the request timeout.
  auto pending = std::move(st.pending);
  st.pending.clear();
  auto err = caf::make_error(errc::unavailable,
                             what
                                 + " before it answered; the request may or "
                                   "may not have taken effect");
  for (auto& kvp : pending)
    kvp.second(err);
  end_step(self, caf::make_error(errc::unavailable,
                                 what + " before the request was sent"));
  if (st.opts.remote)
    connect(self);
}

// -- forwarding ---------------------------------------------------------------

// Sends (xs...) to the store and answers through `rp`; `on_ok` runs when
// the store answered a value, before the requester gets it.
template <class Result, class OnOk, class... Ts>
void relay(forwarder_pointer self, caf::typed_response_promise<Result> rp,
           OnOk on_ok, Ts... xs) {
  auto& st = self->state;
  auto id = ++st.next_request;
  st.pending.emplace(id,
                     [rp](const caf::error& err) mutable { rp.deliver(err); });
  self->request(st.target, st.opts.request_timeout, std::move(xs)...)
      .then(
          [self, rp, id, on_ok](Result& x) mutable {
            if (self->state.pending.erase(id) > 0) {
              on_ok();
              rp.deliver(std::move(x));
            }
          },
          [self, rp, id](caf::error& err) mutable {
            auto& st = self->state;
            if (st.pending.erase(id) > 0)
              rp.deliver(forwarded_error(err, st.opts.store_name,
                                         st.opts.request_timeout));
          });
}

// Forwards (xs...) to the store, after the connection step when one runs,
// and answers through a promise.
template <class Result, class OnOk, class... Ts>
caf::result<Result> forward_then(forwarder_pointer self, OnOk on_ok, Ts... xs) {
  auto& st = self->state;
  // Remote: while disconnected, an attempt is running or scheduled (after a
  // loss, at start, after each failure); requests do not add attempts.
  if (!st.target)
    return not_connected(self);
  auto rp = self->make_response_promise<Result>();
  if (st.stepping) {
    st.held.emplace_back(
        [self, rp, on_ok, xs...](const caf::error& err) mutable {
          if (err)
            rp.deliver(err);
          else
            relay<Result>(self, rp, std::move(on_ok), std::move(xs)...);
        });
    return rp;
  }
  relay<Result>(self, rp, std::move(on_ok), std::move(xs)...);
  return rp;
}

template <class Result, class... Ts>
caf::result<Result> forward(forwarder_pointer self, Ts... xs) {
  return forward_then<Result>(
      self, [] {}, std::move(xs)...);
}

// A plain set, reported to hooks.on_acked_set once acknowledged.
caf::result<ok_atom> forward_set(forwarder_pointer self,
                                 std::vector<std::string> peers,
                                 std::vector<std::string> ids) {
  auto& hook = self->state.opts.hooks.on_acked_set;
  if (!hook)
    return forward<ok_atom>(self, set_atom_v, std::move(peers), std::move(ids));
  auto on_ok
      = [self, peers, ids] { self->state.opts.hooks.on_acked_set(peers, ids); };
  return forward_then<ok_atom>(self, std::move(on_ok), set_atom_v,
                               std::move(peers), std::move(ids));
}

caf::result<ok_atom> forward_set(forwarder_pointer self, std::string peer,
                                 std::string id) {
  auto& hook = self->state.opts.hooks.on_acked_set;
  if (!hook)
    return forward<ok_atom>(self, set_atom_v, std::move(peer), std::move(id));
  auto on_ok
      = [self, peer, id] { self->state.opts.hooks.on_acked_set({peer}, {id}); };
  return forward_then<ok_atom>(self, std::move(on_ok), set_atom_v,
                               std::move(peer), std::move(id));
}

caf::result<uint64_t> forward_backup(forwarder_pointer self,
                                     const std::string& arg) {
  auto& st = self->state;
  if (!st.opts.backup_path)
    return forward<uint64_t>(self, backup_atom_v, arg);
  auto path = st.opts.backup_path(arg);
  if (!path) {
    st.log->debug("refused a backup request: {}", render(path.error()));
    return std::move(path.error());
  }
  return forward<uint64_t>(self, backup_atom_v, std::move(*path));
}

caf::result<uint64_t> forward_close(forwarder_pointer self) {
  auto& st = self->state;
  if (!st.opts.refuse_close)
    return forward<uint64_t>(self, close_atom_v);
  st.log->debug("refused a close message from a client");
  return caf::make_error(caf::sec::unexpected_message, *st.opts.refuse_close);
}

store_forwarder_actor::behavior_type
forwarder(forwarder_pointer self, cursor_actor store, forwarder_options opts,
          std::shared_ptr<spdlog::logger> log) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.log = std::move(log);
  if (!st.opts.remote) {
    st.target = std::move(store);
    if (st.target)
      self->monitor(st.target);
  }
  if (st.opts.survive_exit_messages)
    self->set_exit_handler([self](caf::exit_msg& msg) {
      if (msg.reason)
        self->state.log->debug("ignored exit message ({})",
                               caf::to_string(msg.reason));
    });
  // Anyone who can reach the forwarder can send these: they must not end it.
  self->set_error_handler([self](caf::error& err) {
    self->state.log->debug("ignored stray error message ({})",
                           caf::to_string(err));
  });
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  // Whatever is not in `cursor_actor`: unknown messages, and the store's
  // internal ones (retry, tick, list slices), which its public type lacks.
  self->set_default_handler(
      [self](caf::scheduled_actor*,
             caf::message_view& msg) -> caf::result<caf::message> {
        self->state.log->debug("refused a message outside the interface");
        return caf::make_error(
            caf::sec::unexpected_message,
            "not a message of the cursor store's public "
            "interface (cursor::cursor_actor): "
                + caf::to_string(msg.content()).substr(0, 80));
      });
  if (st.opts.remote)
    connect(self);
  using strings = std::vector<std::string>;
  using std::string;
  return {
      [self](set_atom, string& peer, string& id) {
        return forward_set(self, std::move(peer), std::move(id));
      },
      [self](set_atom a, force_atom f, string& peer, string& id) {
        return forward<ok_atom>(self, a, f, std::move(peer), std::move(id));
      },
      [self](set_atom, strings& peers, strings& ids) {
        return forward_set(self, std::move(peers), std::move(ids));
      },
      [self](set_atom a, force_atom f, strings& peers, strings& ids) {
        return forward<ok_atom>(self, a, f, std::move(peers), std::move(ids));
      },
      [self](set_atom a, expect_atom e, string& peer, string& want,
             string& id) {
        return forward<ok_atom>(self, a, e, std::move(peer), std::move(want),
                                std::move(id));
      },
      [self](set_atom a, expect_atom e, force_atom f, string& peer,
             string& want, string& id) {
        return forward<ok_atom>(self, a, e, f, std::move(peer), std::move(want),
                                std::move(id));
      },
      [self](set_atom a, expect_atom e, strings& peers, strings& wants,
             strings& ids) {
        return forward<ok_atom>(self, a, e, std::move(peers), std::move(wants),
                                std::move(ids));
      },
      [self](set_atom a, expect_atom e, force_atom f, strings& peers,
             strings& wants, strings& ids) {
        return forward<ok_atom>(self, a, e, f, std::move(peers),
                                std::move(wants), std::move(ids));
      },
      [self](get_atom a, string& peer) {
        return forward<cursor_lookup>(self, a, std::move(peer));
      },
      [self](get_atom a, start_atom s, string& peer) {
        return forward<string>(self, a, s, std::move(peer));
      },
      [self](list_atom a) {
        return forward<std::vector<cursor_entry>>(self, a);
      },
      [self](list_atom a, string& after, uint32_t limit) {
        return forward<cursor_page>(self, a, std::move(after), limit);
      },
      [self](dirty_atom a) { return forward<uint64_t>(self, a); },
      [self](flush_atom a) { return forward<uint64_t>(self, a); },
      [self](delete_atom a, string& peer) {
        return forward<bool>(self, a, std::move(peer));
      },
      [self](checkpoint_atom a) { return forward<checkpoint_info>(self, a); },
      [self](stats_atom a) { return forward<cursor_stats>(self, a); },
      [self](backup_atom, const string& arg) {
        return forward_backup(self, arg);
      },
      [self](close_atom) { return forward_close(self); },
      [self](reconnect_atom, uint64_t token) -> caf::result<void> {
        auto& st = self->state;
        if (self->current_sender() != self->ctrl()) {
          st.log->debug("refused a reconnect message from another actor");
          return caf::make_error(caf::sec::unexpected_message,
                                 "reconnect is internal to the forwarder");
        }
        if (st.opts.remote && token == st.token)
          connect(self);
        return caf::unit;
      },
      [self](forget_atom, const string& peer) -> caf::result<void> {
        auto& st = self->state;
        if (!st.opts.hooks.forget) {
          st.log->debug("refused a forget message");
          return caf::make_error(caf::sec::unexpected_message,
                                 "forget is not a message of this store");
        }
        st.opts.hooks.forget(peer);
        return caf::unit;
      },
  };
}

} // namespace

caf::error forwarded_error(const caf::error& err, const std::string& store_name,
                           caf::timespan timeout) {
  if (err.category() == caf::atom("cursor"))
    return err;
  if (err == caf::sec::unexpected_message
      || err == caf::sec::unexpected_response)
    return err;
  if (err == caf::sec::request_timeout)
    return caf::make_error(errc::timeout,
                           "no answer from " + store_name + " within "
                               + duration_text(timeout)
                               + "; the request may or may not have taken "
                                 "effect");
  return caf::make_error(errc::unavailable,
                         store_name + " went away before it answered ("
                             + describe(err)
                             + "); the request may or may not have taken "
                               "effect");
}

store_forwarder_actor
spawn_store_forwarder(caf::actor_system& sys, cursor_actor store,
                      forwarder_options opts,
                      std::shared_ptr<spdlog::logger> log) {
  return sys.spawn(forwarder, std::move(store), std::move(opts),
                   std::move(log));
}

} // namespace cursor::app
