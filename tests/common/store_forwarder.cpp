// The store forwarder (app/common/store_forwarder.hpp) in front of a scripted
// store on CAF's deterministic coordinator: every public message is relayed,
// the one error mapping (the store's errors unchanged, no answer in time ->
// timeout, a store gone -> unavailable, a refusal -> unchanged), the hooks
// (backup names, close refused), the refusals of anything outside the public
// interface, and what a published forwarder survives; the remote flavour
// (connect, backoff, reconnect, connection lost) against a scripted
// connector in place of the middleman. Real connections: tests/e2e
// (node_kill, remote_tls).

#define CAF_SUITE store_forwarder

#include "test.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/logger.h>

#include "common/store_forwarder.hpp"
#include "cursor_actor/cursor_actor.hpp"

using namespace cursor;
using namespace std::chrono_literals;

namespace {

struct config : caf::actor_system_config {
  config() { register_types(*this); }
};

// What the scripted store does with the next request.
struct script {
  /// Answer every request with this error instead of a value.
  caf::error fail_with;
  /// Hold every request (never answer; the promise is kept).
  bool hold = false;
  /// Held requests: called with true to answer the value, false to fail.
  /// Only the store may deliver (CAF delivers in the actor's context): the
  /// next request it gets answers the held ones first when `release`.
  std::vector<std::function<void(bool)>> held;
  bool release = false;
  /// What arrived, rendered.
  std::vector<std::string> seen;
};

using script_ptr = std::shared_ptr<script>;

// Answers `value`, or what the script says.
template <class T>
caf::result<T> respond(cursor_actor::pointer self, script& s, std::string what,
                       T value) {
  s.seen.push_back(std::move(what));
  if (s.release) {
    auto held = std::move(s.held);
    s.held.clear();
    for (auto& f : held)
      f(true);
  }
  if (s.hold) {
    auto rp = self->make_response_promise<T>();
    s.held.push_back([rp, value](bool answer) mutable {
      if (answer)
        rp.deliver(value);
      else
        rp.deliver(caf::make_error(errc::stopped, "test over"));
    });
    return rp;
  }
  if (s.fail_with)
    return s.fail_with;
  return value;
}

// The expected states of a conditional batch, "" shown as "-".
std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : ",") + (x.empty() ? std::string{"-"} : x);
  return out;
}

cursor_actor::behavior_type mock_store(cursor_actor::pointer self,
                                       script_ptr s) {
  using str = const std::string&;
  using strs = const std::vector<std::string>&;
  return {
      [=](set_atom, str peer, str id) {
        return respond(self, *s, "set " + peer + " " + id, ok_atom_v);
      },
      [=](set_atom, force_atom, str peer, str id) {
        return respond(self, *s, "set force " + peer + " " + id, ok_atom_v);
      },
      [=](set_atom, strs peers, strs) {
        return respond(self, *s, "batch " + std::to_string(peers.size()),
                       ok_atom_v);
      },
      [=](set_atom, force_atom, strs peers, strs) {
        return respond(self, *s, "batch force " + std::to_string(peers.size()),
                       ok_atom_v);
      },
      [=](set_atom, expect_atom, str peer, str want, str id) {
        return respond(self, *s, "set expect " + peer + " " + want + " " + id,
                       ok_atom_v);
      },
      [=](set_atom, expect_atom, force_atom, str peer, str want, str id) {
        return respond(self, *s,
                       "set expect force " + peer + " " + want + " " + id,
                       ok_atom_v);
      },
      [=](set_atom, expect_atom, strs peers, strs wants, strs) {
        return respond(self, *s,
                       "batch expect " + std::to_string(peers.size()) + " "
                           + joined(wants),
                       ok_atom_v);
      },
      [=](set_atom, expect_atom, force_atom, strs peers, strs wants, strs) {
        return respond(self, *s,
                       "batch expect force " + std::to_string(peers.size())
                           + " " + joined(wants),
                       ok_atom_v);
      },
      [=](get_atom, str peer) {
        return respond(self, *s, "get " + peer,
                       cursor_lookup{true, "1-0", true});
      },
      [=](get_atom, start_atom, str peer) {
        return respond(self, *s, "get start " + peer, std::string{"2-0"});
      },
      [=](list_atom) {
        return respond(self, *s, "list",
                       std::vector<cursor_entry>{{"p", "3-0", 1, true}});
      },
      [=](list_atom, str after, uint32_t limit) {
        cursor_page page;
        page.next = "q";
        return respond(self, *s, "page " + after + " " + std::to_string(limit),
                       page);
      },
      [=](dirty_atom) { return respond(self, *s, "dirty", uint64_t{4}); },
      [=](flush_atom) { return respond(self, *s, "flush", uint64_t{5}); },
      [=](delete_atom, str peer) {
        return respond(self, *s, "delete " + peer, true);
      },
      [=](checkpoint_atom) {
        return respond(self, *s, "checkpoint", checkpoint_info{false, 1, 1});
      },
      [=](stats_atom) {
        cursor_stats x;
        x.entries = 6;
        return respond(self, *s, "stats", x);
      },
      [=](backup_atom, str path) {
        return respond(self, *s, "backup " + path, uint64_t{7});
      },
      [=](close_atom) { return respond(self, *s, "close", uint64_t{8}); },
  };
}

using connect_script_ptr = std::shared_ptr<test::connect_script>;

struct fixture : test_coordinator_fixture<config> {
  script_ptr s = std::make_shared<script>();
  cursor_actor store;
  app::store_forwarder_actor fwd;
  std::shared_ptr<spdlog::logger> log
      = std::make_shared<spdlog::logger>("forwarder-test");

  fixture() { log->set_level(spdlog::level::off); }

  void start(app::forwarder_options opts = {}) {
    opts.request_timeout = 2s;
    store = sys.spawn(mock_store, s);
    fwd = app::spawn_store_forwarder(sys, store, std::move(opts), log);
    drain();
  }

  // The remote flavour: connects through a scripted middleman, which
  // answers with `store` once `c->store` is set.
  connect_script_ptr c = std::make_shared<test::connect_script>();
  caf::actor mm;

  void start_remote(bool reachable, app::forwarder_hooks hooks = {}) {
    store = sys.spawn(mock_store, s);
    if (reachable)
      c->store = caf::actor_cast<caf::actor>(store);
    mm = sys.spawn(test::fake_middleman, c);
    app::forwarder_options opts;
    opts.store_name = "the cursor node at 127.0.0.1:4242";
    opts.request_timeout = 2s;
    app::remote_store r;
    r.host = "127.0.0.1";
    r.port = 4242;
    r.connect_timeout = 1s;
    r.retry_base_delay = 100ms;
    r.retry_max_delay = 400ms;
    r.connector = caf::actor_cast<caf::io::middleman_actor>(mm);
    opts.remote = std::move(r);
    opts.hooks = std::move(hooks);
    fwd = app::spawn_store_forwarder(sys, cursor_actor{}, std::move(opts), log);
    drain();
  }

  void drain() {
    while (sched.try_run_once()) {
      // nop
    }
  }

  // Sends (xs...) from a fresh client to `hdl`; the answer lands in the slot
  // once the messages are processed.
  template <class T, class Handle, class... Ts>
  std::shared_ptr<std::optional<caf::expected<T>>> send_to(Handle hdl,
                                                           Ts... xs) {
    auto slot = std::make_shared<std::optional<caf::expected<T>>>();
    sys.spawn(
        [=](caf::event_based_actor* client, int) {
          client->request(hdl, caf::infinite, xs...)
              .then([=](T& x) { *slot = caf::expected<T>{std::move(x)}; },
                    [=](caf::error& err) {
                      *slot = caf::expected<T>{std::move(err)};
                    });
        },
        0);
    return slot;
  }

  template <class T, class... Ts>
  caf::expected<T> ask(Ts... xs) {
    auto slot = send_to<T>(caf::actor_cast<cursor_actor>(fwd), xs...);
    drain();
    if (!slot->has_value())
      CAF_FAIL("no answer");
    return **slot;
  }

  // Sends (xs...) to the forwarder from a fresh client (see send_to).
  template <class T, class... Ts>
  std::shared_ptr<std::optional<caf::expected<T>>> send(Ts... xs) {
    return send_to<T>(caf::actor_cast<cursor_actor>(fwd), xs...);
  }

  // An untyped request (messages outside the typed interface).
  caf::error ask_untyped(caf::message msg) {
    auto slot = std::make_shared<std::optional<caf::error>>();
    auto hdl = caf::actor_cast<caf::actor>(fwd);
    sys.spawn(
        [=](caf::event_based_actor* client, int) {
          client->request(hdl, caf::infinite, msg)
              .then([=](caf::message&) { *slot = caf::error{}; },
                    [=](caf::error& err) { *slot = std::move(err); });
        },
        0);
    drain();
    if (!slot->has_value())
      CAF_FAIL("no answer");
    return **slot;
  }

  template <class Handle>
  bool terminated(const Handle& hdl) {
    auto ptr = caf::actor_cast<caf::abstract_actor*>(hdl);
    return ptr == nullptr || ptr->getf(caf::abstract_actor::is_terminated_flag);
  }

  ~fixture() override {
    s->held.clear(); // dropped: the store dies next
    if (fwd)
      caf::anon_send_exit(fwd, caf::exit_reason::kill);
    if (store)
      caf::anon_send_exit(store, caf::exit_reason::kill);
    if (mm)
      caf::anon_send_exit(mm, caf::exit_reason::kill);
    if (c->store)
      caf::anon_send_exit(c->store, caf::exit_reason::kill);
    drain();
  }
};

// The value of a reply (a copy, so that no check refers into a temporary).
template <class T>
T value(caf::expected<T> x) {
  if (!x)
    CAF_FAIL("expected a value, got " << render(x.error()));
  T result = std::move(*x);
  return result;
}

// The error of a reply that came.
template <class T>
caf::error
error_of(const std::shared_ptr<std::optional<caf::expected<T>>>& slot) {
  if (!slot->has_value())
    CAF_FAIL("no answer");
  if (**slot)
    CAF_FAIL("expected an error, got a value");
  return (*slot)->error();
}

bool context_has(const caf::error& err, const std::string& needle) {
  return caf::to_string(err.context()).find(needle) != std::string::npos;
}

// A connection step as the tests script it: the hook keeps the step, sends
// one batch (a=1-0 b=2-0) and records its answer; the answer ends the step,
// done when it is no error, else failed. A step's calls must come from the
// forwarder's context: the hook and the answer are.
struct step_script {
  std::vector<app::connection_step> got;
  std::vector<caf::error> answers;
  /// After `done`, calls done and fail again (they must do nothing).
  bool end_twice = false;
  /// Runs in the hook, before the batch, with the step's index.
  std::function<void(size_t)> on_start;
};

using step_script_ptr = std::shared_ptr<step_script>;

app::forwarder_hooks scripted_steps(step_script_ptr sp) {
  app::forwarder_hooks h;
  h.on_connect = [sp](app::connection_step step) {
    sp->got.push_back(step);
    if (sp->on_start)
      sp->on_start(sp->got.size() - 1);
    step.send_set({"a", "b"}, {"1-0", "2-0"},
                  [sp, step](const caf::error& err) mutable {
                    sp->answers.push_back(err);
                    if (err) {
                      step.fail("the replay failed");
                      return;
                    }
                    step.done();
                    if (sp->end_twice) {
                      step.done();
                      step.fail("too late");
                    }
                  });
  };
  return h;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(store_forwarder_tests, fixture)

CAF_TEST(every public message is relayed with its answer) {
  start();
  using strings = std::vector<std::string>;
  CAF_CHECK(ask<ok_atom>(set_atom_v, "a", "1-0"));
  CAF_CHECK(ask<ok_atom>(set_atom_v, force_atom_v, "a", "0"));
  CAF_CHECK(ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"1", "2"}));
  CAF_CHECK(ask<ok_atom>(set_atom_v, force_atom_v, strings{"a"}, strings{"1"}));
  auto lookup = value(ask<cursor_lookup>(get_atom_v, "a"));
  CAF_CHECK_EQUAL(lookup.stream_id, "1-0");
  CAF_CHECK_EQUAL(value(ask<std::string>(get_atom_v, start_atom_v, "a")),
                  "2-0");
  CAF_CHECK_EQUAL(value(ask<std::vector<cursor_entry>>(list_atom_v)).size(),
                  1u);
  auto page
      = value(ask<cursor_page>(list_atom_v, std::string{"x"}, uint32_t{9}));
  CAF_CHECK_EQUAL(page.next, "q");
  CAF_CHECK_EQUAL(value(ask<uint64_t>(dirty_atom_v)), 4u);
  CAF_CHECK_EQUAL(value(ask<uint64_t>(flush_atom_v)), 5u);
  CAF_CHECK_EQUAL(value(ask<bool>(delete_atom_v, "a")), true);
  CAF_CHECK(value(ask<checkpoint_info>(checkpoint_atom_v)).complete());
  auto stats = value(ask<cursor_stats>(stats_atom_v));
  CAF_CHECK_EQUAL(stats.entries, 6u);
  // Without hooks, backup and close go through unchanged.
  CAF_CHECK_EQUAL(value(ask<uint64_t>(backup_atom_v, "/some/path.db")), 7u);
  CAF_CHECK_EQUAL(value(ask<uint64_t>(close_atom_v)), 8u);
  auto want = std::vector<std::string>{"set a 1-0", "set force a 0",
                                       "batch 2",   "batch force 1",
                                       "get a",     "get start a",
                                       "list",      "page x 9",
                                       "dirty",     "flush",
                                       "delete a",  "checkpoint",
                                       "stats",     "backup /some/path.db",
                                       "close"};
  CAF_CHECK_EQUAL(s->seen, want);
}

CAF_TEST(conditional sets are relayed with their expected states) {
  start();
  using strings = std::vector<std::string>;
  CAF_CHECK(ask<ok_atom>(set_atom_v, expect_atom_v, "a", "", "1-0"));
  CAF_CHECK(
      ask<ok_atom>(set_atom_v, expect_atom_v, force_atom_v, "a", "5-0", "0"));
  CAF_CHECK(ask<ok_atom>(set_atom_v, expect_atom_v, strings{"a", "b"},
                         strings{"1-0", ""}, strings{"2-0", "3-0"}));
  CAF_CHECK(ask<ok_atom>(set_atom_v, expect_atom_v, force_atom_v, strings{"a"},
                         strings{""}, strings{"0"}));
  auto want = std::vector<std::string>{
      "set expect a  1-0", "set expect force a 5-0 0", "batch expect 2 1-0,-",
      "batch expect force 1 -"};
  CAF_CHECK_EQUAL(s->seen, want);
  // A conflict is the store's answer: unchanged, so the client can name
  // the peer; no answer in time is a timeout (it may apply later).
  s->fail_with = caf::make_error(errc::conflict, "cursor of 'a': expected "
                                                 "1-0, found no cursor");
  auto r = ask<ok_atom>(set_atom_v, expect_atom_v, strings{"a"}, strings{"1-0"},
                        strings{"2-0"});
  CAF_REQUIRE(!r);
  CAF_CHECK(r.error() == s->fail_with);
  s->fail_with = caf::error{};
  s->hold = true;
  auto slot = send_to<ok_atom>(caf::actor_cast<cursor_actor>(fwd), set_atom_v,
                               expect_atom_v, strings{"a"}, strings{"1-0"},
                               strings{"2-0"});
  drain();
  CAF_CHECK(!slot->has_value());
  advance_time(2s);
  drain();
  CAF_REQUIRE(slot->has_value());
  auto late = **slot;
  CAF_REQUIRE(!late);
  CAF_CHECK(is(late.error(), errc::timeout));
}

CAF_TEST(errors of the store reach the requester unchanged) {
  start();
  s->fail_with = caf::make_error(errc::regression, "cursor of 'a' is 9-0");
  auto r = ask<ok_atom>(set_atom_v, "a", "1-0");
  CAF_REQUIRE(!r);
  CAF_CHECK(r.error() == s->fail_with);
  // A refusal of the message (another protocol version) too.
  s->fail_with = caf::make_error(caf::sec::unexpected_message);
  auto f = ask<uint64_t>(flush_atom_v);
  CAF_REQUIRE(!f);
  CAF_CHECK(f.error() == caf::sec::unexpected_message);
}

CAF_TEST(no answer within the request timeout is a timeout) {
  start();
  s->hold = true;
  auto slot
      = send_to<uint64_t>(caf::actor_cast<cursor_actor>(fwd), flush_atom_v);
  drain();
  CAF_CHECK(!slot->has_value());
  CAF_CHECK_EQUAL(s->held.size(), 1u);
  advance_time(1999ms);
  drain();
  CAF_CHECK(!slot->has_value());
  advance_time(1ms);
  drain();
  CAF_REQUIRE(slot->has_value());
  auto err = (*slot)->error();
  CAF_CHECK(is(err, errc::timeout));
  CAF_CHECK(context_has(err, "no answer from the store within 2s"));
  CAF_CHECK(context_has(err, "may or may not have taken effect"));
  // The store answers late: nobody hears it twice, the forwarder lives on.
  s->hold = false;
  s->release = true;
  CAF_CHECK_EQUAL(value(ask<uint64_t>(dirty_atom_v)), 4u);
  CAF_CHECK(s->held.empty());
  CAF_CHECK(slot->value().error() == err); // still the timeout
}

CAF_TEST(a store that goes away is unavailable) {
  start();
  caf::anon_send_exit(store, caf::exit_reason::kill);
  drain();
  auto r = ask<uint64_t>(flush_atom_v);
  CAF_REQUIRE(!r);
  CAF_CHECK(is(r.error(), errc::unavailable));
  CAF_CHECK(
      context_has(r.error(), "the store is gone; the request was not sent"));
  CAF_CHECK(!terminated(fwd));
}

CAF_TEST(a store that dies during a request fails it at once) {
  start();
  s->hold = true;
  auto slot
      = send_to<uint64_t>(caf::actor_cast<cursor_actor>(fwd), flush_atom_v);
  drain();
  CAF_REQUIRE_EQUAL(s->held.size(), 1u);
  s->held.clear(); // the promise dies with the store, unanswered
  caf::anon_send_exit(store, caf::exit_reason::kill);
  drain();
  // At once, not after the request timeout.
  CAF_REQUIRE(slot->has_value());
  auto err = (*slot)->error();
  CAF_CHECK(is(err, errc::unavailable));
  CAF_CHECK(context_has(err, "the store went away before it answered"));
  CAF_CHECK(context_has(err, "may or may not have taken effect"));
  // Later requests are not sent, and say so.
  auto r = ask<uint64_t>(dirty_atom_v);
  CAF_REQUIRE(!r);
  CAF_CHECK(is(r.error(), errc::unavailable));
  CAF_CHECK(
      context_has(r.error(), "the store is gone; the request was not sent"));
  CAF_CHECK(!terminated(fwd));
}

CAF_TEST(the backup hook resolves or refuses names) {
  app::forwarder_options opts;
  opts.backup_path = [](const std::string& name) -> caf::expected<std::string> {
    if (name.find('/') != std::string::npos)
      return caf::make_error(errc::invalid_backup_name, "a path");
    return "/backups/" + name;
  };
  start(opts);
  CAF_CHECK_EQUAL(value(ask<uint64_t>(backup_atom_v, "nightly.db")), 7u);
  auto r = ask<uint64_t>(backup_atom_v, "../etc/x");
  CAF_REQUIRE(!r);
  CAF_CHECK(is(r.error(), errc::invalid_backup_name));
  CAF_CHECK_EQUAL(s->seen,
                  std::vector<std::string>{"backup /backups/nightly.db"});
}

CAF_TEST(close can be refused with a reason) {
  app::forwarder_options opts;
  opts.refuse_close = "close is not a remote operation";
  start(opts);
  auto r = ask<uint64_t>(close_atom_v);
  CAF_REQUIRE(!r);
  CAF_CHECK(r.error() == caf::sec::unexpected_message);
  CAF_CHECK(context_has(r.error(), "close is not a remote operation"));
  CAF_CHECK(s->seen.empty());
}

CAF_TEST(messages outside the public interface are refused saying so) {
  start();
  for (auto msg : {caf::make_message(retry_atom_v, uint64_t{1}),
                   caf::make_message(tick_atom_v, uint64_t{1}),
                   caf::make_message(list_atom_v, uint64_t{1}),
                   caf::make_message(caf::atom("bogus"), 3.14)}) {
    auto err = ask_untyped(msg);
    CAF_CHECK(err == caf::sec::unexpected_message);
    CAF_CHECK(context_has(err, "public interface"));
  }
  // The forwarder's own timer, from anyone but itself.
  auto err = ask_untyped(caf::make_message(app::reconnect_atom_v, uint64_t{1}));
  CAF_CHECK(err == caf::sec::unexpected_message);
  CAF_CHECK(context_has(err, "internal to the forwarder"));
  CAF_CHECK(s->seen.empty());
  CAF_CHECK(!terminated(fwd));
}

CAF_TEST(a published forwarder survives exit and stray messages) {
  app::forwarder_options opts;
  opts.survive_exit_messages = true;
  start(opts);
  auto raw = caf::actor_cast<caf::actor>(fwd);
  caf::anon_send_exit(fwd, caf::exit_reason::user_shutdown);
  caf::anon_send(raw, caf::make_error(caf::sec::runtime_error, "stray"));
  // Forged down messages naming the store: anonymous, and from another
  // actor (CAF sends a real one from the actor that died).
  auto forged = caf::down_msg{caf::actor_cast<caf::actor_addr>(store),
                              caf::exit_reason::kill};
  caf::anon_send(raw, forged);
  test::spawn_client(
      sys, [=](caf::event_based_actor* other) { other->send(raw, forged); });
  drain();
  CAF_CHECK(!terminated(fwd));
  CAF_CHECK_EQUAL(value(ask<uint64_t>(dirty_atom_v)), 4u);
  // Killing the forwarder leaves the store alone (no link).
  caf::anon_send_exit(fwd, caf::exit_reason::kill);
  drain();
  CAF_CHECK(terminated(fwd));
  CAF_CHECK(!terminated(store));
}

CAF_TEST(an unpublished forwarder stops on an exit message) {
  start();
  caf::anon_send_exit(fwd, caf::exit_reason::user_shutdown);
  drain();
  CAF_CHECK(terminated(fwd));
  CAF_CHECK(!terminated(store));
}

CAF_TEST(the error mapping table) {
  auto t = caf::timespan{1500ms};
  auto name = std::string{"the cursor node at 127.0.0.1:4242"};
  auto own = caf::make_error(errc::busy, "gave up");
  CAF_CHECK(app::forwarded_error(own, name, t) == own);
  for (auto code :
       {caf::sec::unexpected_message, caf::sec::unexpected_response}) {
    auto e = caf::make_error(code);
    CAF_CHECK(app::forwarded_error(e, name, t) == e);
  }
  auto timeout = app::forwarded_error(
      caf::make_error(caf::sec::request_timeout), name, t);
  CAF_CHECK(is(timeout, errc::timeout));
  CAF_CHECK(context_has(timeout, "no answer from " + name + " within 1500ms"));
  for (auto code :
       {caf::sec::request_receiver_down, caf::sec::cannot_connect_to_node,
        caf::sec::remote_linking_failed}) {
    auto e = app::forwarded_error(caf::make_error(code), name, t);
    CAF_CHECK(is(e, errc::unavailable));
    CAF_CHECK(context_has(e, name + " went away before it answered"));
    CAF_CHECK(context_has(e, "may or may not have taken effect"));
  }
}

CAF_TEST(a remote forwarder refuses requests until it is connected) {
  start_remote(false);
  CAF_CHECK_EQUAL(c->attempts, std::vector<std::string>{"127.0.0.1:4242"});
  auto r = ask<uint64_t>(flush_atom_v);
  CAF_REQUIRE(!r);
  CAF_CHECK(is(r.error(), errc::unavailable));
  CAF_CHECK(context_has(r.error(), "not connected to the cursor node at "
                                   "127.0.0.1:4242 (reconnecting); the "
                                   "request was not sent"));
  // A request adds no attempt: still one.
  CAF_CHECK_EQUAL(c->attempts.size(), 1u);
  // Backoff: 100, 200, then 400 ms (the cap) between attempts.
  for (auto delay : {100ms, 200ms, 400ms, 400ms}) {
    auto before = c->attempts.size();
    advance_time(delay - 1ms);
    drain();
    CAF_CHECK_EQUAL(c->attempts.size(), before);
    advance_time(1ms);
    drain();
    CAF_CHECK_EQUAL(c->attempts.size(), before + 1);
  }
  // The node comes up: the next attempt connects and requests go through.
  c->store = caf::actor_cast<caf::actor>(store);
  advance_time(400ms);
  drain();
  CAF_CHECK_EQUAL(value(ask<uint64_t>(flush_atom_v)), 5u);
  CAF_CHECK_EQUAL(s->seen, std::vector<std::string>{"flush"});
  // Connected: no more attempts.
  auto n = c->attempts.size();
  advance_time(10s);
  drain();
  CAF_CHECK_EQUAL(c->attempts.size(), n);
}

CAF_TEST(a remote forwarder refuses an actor that is not a cursor node) {
  c->wrong_iface = true;
  start_remote(true);
  CAF_CHECK_EQUAL(c->attempts.size(), 1u);
  auto r = ask<uint64_t>(flush_atom_v);
  CAF_REQUIRE(!r);
  CAF_CHECK(is(r.error(), errc::unavailable));
  CAF_CHECK(s->seen.empty());
  // It keeps trying (the node may be replaced by a cursor node).
  c->wrong_iface = false;
  advance_time(100ms);
  drain();
  CAF_CHECK_EQUAL(c->attempts.size(), 2u);
  CAF_CHECK_EQUAL(value(ask<uint64_t>(dirty_atom_v)), 4u);
}

CAF_TEST(a lost connection fails waiting requests and reconnects) {
  start_remote(true);
  CAF_CHECK_EQUAL(value(ask<uint64_t>(dirty_atom_v)), 4u);
  s->hold = true;
  auto slot
      = send_to<uint64_t>(caf::actor_cast<cursor_actor>(fwd), flush_atom_v);
  drain();
  CAF_REQUIRE_EQUAL(s->held.size(), 1u);
  // The node dies with the request in hand; a new one listens at once.
  s->held.clear();
  auto s2 = std::make_shared<script>();
  auto store2 = sys.spawn(mock_store, s2);
  c->store = caf::actor_cast<caf::actor>(store2);
  caf::anon_send_exit(store, caf::exit_reason::kill);
  drain();
  CAF_REQUIRE(slot->has_value());
  auto err = (*slot)->error();
  CAF_CHECK(is(err, errc::unavailable));
  CAF_CHECK(context_has(err, "lost the connection to the cursor node at "
                             "127.0.0.1:4242 before it answered"));
  CAF_CHECK(context_has(err, "may or may not have taken effect"));
  // Reconnected at once (a loss is not a failed attempt).
  CAF_CHECK_EQUAL(c->attempts.size(), 2u);
  CAF_CHECK_EQUAL(value(ask<uint64_t>(flush_atom_v)), 5u);
  CAF_CHECK_EQUAL(s2->seen, std::vector<std::string>{"flush"});
  // A forged down message about the new target changes nothing.
  caf::anon_send(caf::actor_cast<caf::actor>(fwd),
                 caf::down_msg{caf::actor_cast<caf::actor_addr>(store),
                               caf::exit_reason::kill});
  drain();
  CAF_CHECK_EQUAL(value(ask<uint64_t>(dirty_atom_v)), 4u);
  CAF_CHECK_EQUAL(c->attempts.size(), 2u);
}

CAF_TEST(a remote request without an answer in time is a timeout) {
  start_remote(true);
  s->hold = true;
  auto slot
      = send_to<uint64_t>(caf::actor_cast<cursor_actor>(fwd), flush_atom_v);
  drain();
  advance_time(2s);
  drain();
  CAF_REQUIRE(slot->has_value());
  auto err = (*slot)->error();
  CAF_CHECK(is(err, errc::timeout));
  CAF_CHECK(context_has(err, "no answer from the cursor node at "
                             "127.0.0.1:4242 within 2s"));
  // A slow node is not a lost connection: no reconnection.
  CAF_CHECK_EQUAL(c->attempts.size(), 1u);
}

CAF_TEST(a connection step holds requests until it is done then they follow in
             order) {
  auto sp = std::make_shared<step_script>();
  sp->end_twice = true;
  s->hold = true;
  start_remote(true, scripted_steps(sp));
  CAF_REQUIRE_EQUAL(sp->got.size(), 1u);
  // The step's own request went through; the others wait for the step.
  auto dirty = send<uint64_t>(dirty_atom_v);
  auto flush = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK_EQUAL(s->seen, std::vector<std::string>{"batch 2"});
  CAF_CHECK(!dirty->has_value());
  CAF_CHECK(!flush->has_value());
  // The store answers the batch (the held answer goes out first when the
  // next request reaches it; that one comes from another client).
  s->hold = false;
  s->release = true;
  auto direct = send_to<uint64_t>(store, dirty_atom_v);
  drain();
  CAF_REQUIRE_EQUAL(sp->answers.size(), 1u);
  CAF_CHECK(!sp->answers.front());
  CAF_CHECK_EQUAL(s->seen, (std::vector<std::string>{"batch 2", "dirty",
                                                     "dirty", "flush"}));
  CAF_CHECK_EQUAL(value(**dirty), 4u);
  CAF_CHECK_EQUAL(value(**flush), 5u);
  // Done once: the second done and the fail did nothing.
  CAF_CHECK_EQUAL(value(ask<uint64_t>(dirty_atom_v)), 4u);
  advance_time(10s);
  drain();
  CAF_CHECK_EQUAL(c->attempts.size(), 1u);
  CAF_CHECK_EQUAL(sp->got.size(), 1u);
}

CAF_TEST(a connection step that fails is a failed connection) {
  auto sp = std::make_shared<step_script>();
  s->hold = true;
  start_remote(true, scripted_steps(sp));
  auto flush = send<uint64_t>(flush_atom_v);
  drain();
  // No answer within the request timeout: the step gets CAF's error,
  // unmapped, and fails.
  advance_time(2s);
  drain();
  CAF_REQUIRE_EQUAL(sp->answers.size(), 1u);
  CAF_CHECK(sp->answers.front() == caf::sec::request_timeout);
  auto err = error_of(flush);
  CAF_CHECK(is(err, errc::unavailable));
  CAF_CHECK(context_has(err, "connected to the cursor node at 127.0.0.1:4242, "
                             "but the replay failed; the request was not "
                             "sent"));
  CAF_CHECK_EQUAL(s->seen, std::vector<std::string>{"batch 2"});
  // Not connected until the backoff's attempt, which runs the step again.
  auto r = ask<uint64_t>(dirty_atom_v);
  CAF_REQUIRE(!r);
  CAF_CHECK(context_has(r.error(), "not connected"));
  s->hold = false;
  advance_time(99ms);
  drain();
  CAF_CHECK_EQUAL(c->attempts.size(), 1u);
  advance_time(1ms);
  drain();
  CAF_CHECK_EQUAL(c->attempts.size(), 2u);
  CAF_CHECK_EQUAL(sp->got.size(), 2u);
  CAF_CHECK_EQUAL(value(ask<uint64_t>(dirty_atom_v)), 4u);
  CAF_CHECK_EQUAL(s->seen,
                  (std::vector<std::string>{"batch 2", "batch 2", "dirty"}));
}

CAF_TEST(a connection lost during the step fails the held requests and the old
             step ends nothing) {
  auto sp = std::make_shared<step_script>();
  s->hold = true;
  start_remote(true, scripted_steps(sp));
  auto flush = send<uint64_t>(flush_atom_v);
  drain();
  // The node dies during the step; a new one listens at once, and holds
  // the new step's batch too.
  s->held.clear();
  auto s2 = std::make_shared<script>();
  s2->hold = true;
  auto store2 = sys.spawn(mock_store, s2);
  c->store = caf::actor_cast<caf::actor>(store2);
  // The old step's end, called in the new step's hook, does nothing.
  // (Not the shared pointer: the script would own itself.)
  sp->on_start = [raw = sp.get()](size_t k) {
    if (k == 1) {
      raw->got[0].done();
      raw->got[0].fail("stale");
    }
  };
  caf::anon_send_exit(store, caf::exit_reason::kill);
  drain();
  auto err = error_of(flush);
  CAF_CHECK(is(err, errc::unavailable));
  CAF_CHECK(context_has(err, "lost the connection to the cursor node at "
                             "127.0.0.1:4242 before the request was sent"));
  // Reconnected at once, with a step of its own that holds requests.
  CAF_CHECK_EQUAL(c->attempts.size(), 2u);
  CAF_REQUIRE_EQUAL(sp->got.size(), 2u);
  auto dirty = send<uint64_t>(dirty_atom_v);
  drain();
  CAF_CHECK(!dirty->has_value());
  CAF_CHECK_EQUAL(s2->seen, std::vector<std::string>{"batch 2"});
  // The old step's answer (the dead node's) never reaches it.
  CAF_CHECK(sp->answers.empty());
  s2->hold = false;
  s2->release = true;
  auto direct = send_to<uint64_t>(store2, dirty_atom_v);
  drain();
  CAF_CHECK_EQUAL(sp->answers.size(), 1u);
  CAF_CHECK_EQUAL(value(**dirty), 4u);
  CAF_CHECK_EQUAL(s2->seen,
                  (std::vector<std::string>{"batch 2", "dirty", "dirty"}));
  s2->held.clear();
  caf::anon_send_exit(store2, caf::exit_reason::kill);
}

CAF_TEST(acknowledged plain sets are reported and nothing else) {
  using strings = std::vector<std::string>;
  auto acked = std::make_shared<std::vector<std::string>>();
  app::forwarder_options opts;
  opts.hooks.on_acked_set = [acked](const strings& peers, const strings& ids) {
    std::string line;
    for (size_t i = 0; i < peers.size(); ++i)
      line += (i > 0 ? " " : "") + peers[i] + "=" + ids[i];
    acked->push_back(line);
  };
  // A local store: no connection, so no step.
  opts.hooks.on_connect = [](app::connection_step) {
    CAF_FAIL("a connection step without a remote store");
  };
  start(opts);
  CAF_CHECK(ask<ok_atom>(set_atom_v, "a", "1-0"));
  CAF_CHECK(ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"2-0", "3-0"}));
  CAF_CHECK(ask<ok_atom>(set_atom_v, force_atom_v, "a", "0"));
  CAF_CHECK(ask<ok_atom>(set_atom_v, force_atom_v, strings{"a"}, strings{"0"}));
  s->fail_with = caf::make_error(errc::regression, "cursor of 'a' is 9-0");
  CAF_CHECK(!ask<ok_atom>(set_atom_v, "a", "4-0"));
  CAF_CHECK(!ask<ok_atom>(set_atom_v, strings{"a"}, strings{"4-0"}));
  CAF_CHECK_EQUAL(*acked, (strings{"a=1-0", "a=2-0 b=3-0"}));
  CAF_CHECK_EQUAL(s->seen.size(), 6u);
}

CAF_TEST(forget goes to its hook and is refused without one) {
  auto forgotten = std::make_shared<std::vector<std::string>>();
  app::forwarder_options opts;
  opts.hooks.forget
      = [forgotten](const std::string& peer) { forgotten->push_back(peer); };
  start(opts);
  // As the tailer sends it: no answer is awaited.
  caf::anon_send(fwd, app::forget_atom_v, std::string{"p"});
  drain();
  CAF_CHECK_EQUAL(*forgotten, std::vector<std::string>{"p"});
  CAF_CHECK(s->seen.empty());
  // The node's front sets no hook: a remote client's forget is refused.
  auto first_fwd = fwd;
  auto first_store = store;
  start();
  auto err
      = ask_untyped(caf::make_message(app::forget_atom_v, std::string{"p"}));
  CAF_CHECK(err == caf::sec::unexpected_message);
  CAF_CHECK(context_has(err, "forget"));
  CAF_CHECK_EQUAL(forgotten->size(), 1u);
  CAF_CHECK(!terminated(fwd));
  caf::anon_send_exit(first_fwd, caf::exit_reason::kill);
  caf::anon_send_exit(first_store, caf::exit_reason::kill);
}

CAF_TEST_FIXTURE_SCOPE_END()
