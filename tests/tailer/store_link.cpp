// The link to a remote cursor_node (a store forwarder with the replay
// hooks) on CAF's deterministic test coordinator, against scripted nodes
// (memory + what a flush made durable) and a scripted connector in place of
// the middleman: a node that restarts loses what it acknowledged and had
// not flushed, and the link's replay brings it back before anything else
// reaches the new node. The hooks themselves: tests/common/store_forwarder.

#define CAF_SUITE tailer_store_link

#include "test.hpp"

#include "tailer/store_link.hpp"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/logger.h>

#include "cursor_actor/actors.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/stream_id.hpp"

using namespace cursor;
using namespace cursor::tailer;
using namespace std::chrono_literals;

namespace {

// One node process: its memory, what its flushes made durable, and every
// message it got, in order. A new process starts from `durable` only.
struct node_script {
  std::map<std::string, std::string> memory;
  std::map<std::string, std::string> durable;
  std::vector<std::string> log;
  // Sets are taken and never answered (a node that hangs).
  bool park_sets = false;
  std::vector<caf::response_promise> parked;
};

using node_ptr = std::shared_ptr<node_script>;

// The store's set semantics: all or nothing, a lower ID is a regression.
caf::error check_set(const node_script& n, const std::string& peer,
                     const std::string& id) {
  auto i = n.memory.find(peer);
  if (i != n.memory.end()
      && *stream_id::parse(id) < *stream_id::parse(i->second))
    return caf::make_error(cursor::errc::regression,
                           peer + ": " + id + " < " + i->second);
  return caf::none;
}

caf::behavior mock_node(caf::event_based_actor* self, node_ptr n) {
  return {
      [self, n](set_atom, const std::vector<std::string>& peers,
                const std::vector<std::string>& ids) -> caf::result<ok_atom> {
        std::string line = "set";
        for (size_t i = 0; i < peers.size(); ++i)
          line += " " + peers[i] + "=" + ids[i];
        n->log.push_back(line);
        if (n->park_sets) {
          n->parked.push_back(self->make_response_promise());
          return n->parked.back();
        }
        for (size_t i = 0; i < peers.size(); ++i)
          if (auto err = check_set(*n, peers[i], ids[i]))
            return err;
        for (size_t i = 0; i < peers.size(); ++i)
          n->memory[peers[i]] = ids[i];
        return ok_atom_v;
      },
      [self, n](set_atom, const std::string& peer,
                const std::string& id) -> caf::result<ok_atom> {
        n->log.push_back("set " + peer + "=" + id);
        if (n->park_sets) {
          n->parked.push_back(self->make_response_promise());
          return n->parked.back();
        }
        if (auto err = check_set(*n, peer, id))
          return err;
        n->memory[peer] = id;
        return ok_atom_v;
      },
      [n](flush_atom) {
        n->log.push_back("flush");
        n->durable = n->memory;
        return uint64_t{n->memory.size()};
      },
      // Answers the oldest parked set (a promise must be delivered from
      // inside its actor).
      [n](ok_atom) {
        n->parked.front().deliver(ok_atom_v);
        n->parked.erase(n->parked.begin());
      },
      [n](get_atom, start_atom, const std::string& peer) {
        n->log.push_back("get " + peer);
        auto i = n->memory.find(peer);
        return i == n->memory.end() ? std::string{"0"} : i->second;
      },
  };
}

struct link_fixture : test_coordinator_fixture<test::config> {
  // The connector connects to whichever node runs now (c->store).
  std::shared_ptr<test::connect_script> c
      = std::make_shared<test::connect_script>();
  caf::actor connector;
  node_ptr first = std::make_shared<node_script>();
  store_link_actor link;
  std::shared_ptr<spdlog::logger> log
      = std::make_shared<spdlog::logger>("link-test");

  link_fixture() {
    log->set_level(spdlog::level::off);
    c->store = sys.spawn(mock_node, first);
    connector = sys.spawn(test::fake_middleman, c);
    link_options opts;
    opts.node = endpoint{"127.0.0.1", 7000};
    // Far beyond what a test advances, except where a test waits for it.
    opts.connect_timeout = 1h;
    opts.request_timeout = 10s;
    opts.retry_base_delay = 100ms;
    opts.retry_max_delay = 1s;
    opts.connector = caf::actor_cast<caf::io::middleman_actor>(connector);
    link = spawn_store_link(sys, opts, log);
    drain();
  }

  void drain() {
    while (sched.try_run_once()) {
      // nop
    }
  }

  // Sends xs to the link from a client of its own; the reply holds the
  // answer once it came.
  template <class T, class... Ts>
  test::reply<T> ask(Ts... xs) {
    auto result = test::request_from_client<T>(
        sys, caf::actor_cast<cursor_actor>(link), xs...);
    drain();
    return result;
  }

  // The node process ends (killed: it answers nothing more) and `next`
  // runs in its place; the link notices and reconnects.
  void replace_node(const node_ptr& next) {
    auto dead = c->store;
    c->store = sys.spawn(mock_node, next);
    caf::anon_send_exit(dead, caf::exit_reason::kill);
    drain();
  }

  // The node process crashes: what it did not flush is gone. The next
  // process starts from its database.
  node_ptr restart_node(const node_ptr& old, bool park_sets = false) {
    auto next = std::make_shared<node_script>();
    next->memory = old->durable;
    next->durable = old->durable;
    next->park_sets = park_sets;
    replace_node(next);
    return next;
  }

  ~link_fixture() override {
    caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(c->store, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(connector, caf::exit_reason::user_shutdown);
    drain();
  }
};

using strings = std::vector<std::string>;

} // namespace

CAF_TEST_FIXTURE_SCOPE(tailer_store_link_tests, link_fixture)

CAF_TEST(a node restarted before it flushed gets the acknowledged positions
             again before anything else) {
  ask<ok_atom>(set_atom_v, std::string{"a"}, std::string{"1-0"}).value();
  ask<uint64_t>(flush_atom_v).value();
  ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"2-0", "5-0"}).value();
  // Acknowledged, not flushed: the crash loses a=2-0 and b.
  auto second = restart_node(first);
  CAF_CHECK_EQUAL(second->durable.at("a"), "1-0");
  // The link reconnected and sent both again, as its first message.
  CAF_REQUIRE(!second->log.empty());
  CAF_CHECK_EQUAL(second->log.front(), "set a=2-0 b=5-0");
  ask<uint64_t>(flush_atom_v).value();
  CAF_CHECK_EQUAL(second->durable, (std::map<std::string, std::string>{
                                       {"a", "2-0"}, {"b", "5-0"}}));
}

CAF_TEST(requests that arrive during the replay wait for it and follow it) {
  ask<ok_atom>(set_atom_v, strings{"a"}, strings{"3-0"}).value();
  auto second = restart_node(first, true);
  CAF_REQUIRE_EQUAL(second->log, strings{"set a=3-0"});
  // A flush (the tailer's final one) waits: forwarded now it would commit
  // without the replay if that failed.
  auto flushed = ask<uint64_t>(flush_atom_v);
  auto get = ask<std::string>(get_atom_v, start_atom_v, std::string{"a"});
  CAF_CHECK_EQUAL(second->log, strings{"set a=3-0"});
  CAF_CHECK(!flushed.arrived());
  CAF_CHECK(!get.arrived());
  second->park_sets = false;
  second->memory["a"] = "3-0";
  caf::anon_send(c->store, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(second->log, (strings{"set a=3-0", "flush", "get a"}));
  flushed.value();
  CAF_CHECK_EQUAL(second->durable.at("a"), "3-0");
  CAF_CHECK_EQUAL(get.value(), "3-0");
}

CAF_TEST(a replay that times out fails the waiting flush and runs again on the
             next connection) {
  ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"4-0", "6-0"}).value();
  auto second = restart_node(first, true);
  auto flushed = ask<uint64_t>(flush_atom_v);
  CAF_CHECK(!flushed.arrived());
  // The request timeout (10 s) passes without an answer: the flush fails,
  // loudly, instead of committing without the positions; it was not sent.
  advance_time(10s);
  drain();
  auto err = flushed.error();
  CAF_CHECK(is(err, cursor::errc::unavailable));
  CAF_CHECK(caf::to_string(err.context()).find("the request was not sent")
            != std::string::npos);
  CAF_CHECK_EQUAL(second->log, strings{"set a=4-0 b=6-0"});
  // Not connected until the backoff's attempt.
  auto early = ask<ok_atom>(set_atom_v, std::string{"a"}, std::string{"7-0"});
  CAF_CHECK(is(early.error(), cursor::errc::unavailable));
  second->park_sets = false;
  advance_time(100ms);
  drain();
  CAF_CHECK_EQUAL(second->log, (strings{"set a=4-0 b=6-0", "set a=4-0 b=6-0"}));
  ask<uint64_t>(flush_atom_v).value();
  CAF_CHECK_EQUAL(second->durable, (std::map<std::string, std::string>{
                                       {"a", "4-0"}, {"b", "6-0"}}));
}

CAF_TEST(a position the node holds newer is refused for that peer only) {
  ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"2-0", "5-0"}).value();
  ask<uint64_t>(flush_atom_v).value();
  ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"3-0", "6-0"}).value();
  // Someone moved b on the node beyond the link's position, durably; the
  // node then restarted, losing a=3-0.
  first->memory["b"] = first->durable["b"] = "9-0";
  auto second = restart_node(first);
  // The batch is refused as a whole, then sent peer by peer.
  CAF_CHECK_EQUAL(second->log,
                  (strings{"set a=3-0 b=6-0", "set a=3-0", "set b=6-0"}));
  CAF_CHECK_EQUAL(second->memory.at("a"), "3-0");
  CAF_CHECK_EQUAL(second->memory.at("b"), "9-0");
  // The link is ready; the peer's own next record meets the refusal.
  ask<uint64_t>(flush_atom_v).value();
  CAF_CHECK_EQUAL(second->durable.at("a"), "3-0");
  auto refused = ask<ok_atom>(set_atom_v, std::string{"b"}, std::string{"7-0"});
  CAF_CHECK(cursor::is(refused.error(), cursor::errc::regression));
  // b is no longer replayed, a is.
  auto third = restart_node(second);
  CAF_REQUIRE(!third->log.empty());
  CAF_CHECK_EQUAL(third->log.front(), "set a=3-0");
}

CAF_TEST(a forgotten peer is not set again after a reconnection) {
  ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"2-0", "5-0"}).value();
  ask<uint64_t>(flush_atom_v).value();
  // b stopped for good; its pipeline still records its last position, and
  // the operator then deletes its cursor on the node (durable).
  caf::anon_send(link, app::forget_atom_v, std::string{"b"});
  drain();
  ask<ok_atom>(set_atom_v, strings{"b"}, strings{"6-0"}).value();
  first->memory.erase("b");
  ask<uint64_t>(flush_atom_v).value();
  auto second = restart_node(first);
  CAF_REQUIRE(!second->log.empty());
  CAF_CHECK_EQUAL(second->log.front(), "set a=2-0");
  CAF_CHECK_EQUAL(second->memory.count("b"), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
