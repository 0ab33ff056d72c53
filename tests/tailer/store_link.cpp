// The link to a remote cursor_node on CAF's deterministic test coordinator,
// against scripted nodes (memory + what a flush made durable) and a
// scripted connector in place of the middleman: a node that restarts loses
// what it acknowledged and had not flushed, and the link's replay brings it
// back before anything else reaches the new node.

#define CAF_SUITE tailer_store_link
#define FAIL CAF_FAIL // the DSL's request<T>() expects this name

#include "tailer/store_link.hpp"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/test/dsl.hpp>
#include <spdlog/logger.h>

#include "cursor_actor/actors.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/register_types.hpp"
#include "cursor_actor/stream_id.hpp"
#include "tailer/error.hpp"

using namespace cursor;
using namespace cursor::tailer;
using tailer_errc = cursor::tailer::errc;
using namespace std::chrono_literals;

namespace {

struct link_config : caf::actor_system_config {
  link_config() {
    cursor::register_types(*this);
    tailer::register_error_category(*this);
  }
};

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

// Plays the middleman: connects to whichever node runs now.
struct world {
  caf::actor node;
};

caf::behavior mock_connector(caf::event_based_actor* self,
                             std::shared_ptr<world> w) {
  return {
      [self, w](caf::connect_atom, const std::string&,
                uint16_t) -> caf::result<caf::node_id, caf::strong_actor_ptr,
                                         std::set<std::string>> {
        if (!w->node)
          return caf::make_error(caf::sec::cannot_connect_to_node);
        return {caf::node_id{}, caf::actor_cast<caf::strong_actor_ptr>(w->node),
                self->system().message_types<cursor_actor>()};
      },
  };
}

struct link_fixture : test_coordinator_fixture<link_config> {
  std::shared_ptr<world> w = std::make_shared<world>();
  node_ptr first = std::make_shared<node_script>();
  store_link_actor link;
  std::shared_ptr<spdlog::logger> log
      = std::make_shared<spdlog::logger>("link-test");

  link_fixture() {
    log->set_level(spdlog::level::off);
    w->node = sys.spawn(mock_node, first);
    link_options opts;
    opts.node = endpoint{"127.0.0.1", 7000};
    // Far beyond what a test advances, except where a test waits for it.
    opts.connect_timeout = 1h;
    opts.request_timeout = 10s;
    opts.retry_base_delay = 100ms;
    opts.retry_max_delay = 1s;
    opts.connector = sys.spawn(mock_connector, w);
    link = spawn_store_link(sys, opts, log);
    drain();
  }

  void drain() {
    while (sched.try_run_once()) {
      // nop
    }
  }

  // Sends xs to the link from a client of its own; the slot holds the
  // answer once it came (sec::none until then).
  template <class T, class... Ts>
  std::shared_ptr<caf::expected<T>> ask(Ts... xs) {
    auto slot = std::make_shared<caf::expected<T>>(caf::sec::none);
    sys.spawn(
        [=](caf::event_based_actor* client, int) {
          client->request(link, caf::infinite, xs...)
              .then([=](T& x) { *slot = std::move(x); },
                    [=](caf::error& err) { *slot = std::move(err); });
        },
        0);
    drain();
    return slot;
  }

  bool answered(const std::shared_ptr<caf::expected<ok_atom>>& x) {
    return x->error() != caf::sec::none || *x;
  }

  // The node process crashes: what it did not flush is gone. The next
  // process starts from its database.
  node_ptr restart_node(const node_ptr& old) {
    auto next = std::make_shared<node_script>();
    next->memory = old->durable;
    next->durable = old->durable;
    auto dead = w->node;
    w->node = sys.spawn(mock_node, next);
    caf::anon_send_exit(dead, caf::exit_reason::kill);
    drain();
    return next;
  }

  ~link_fixture() override {
    caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(w->node, caf::exit_reason::user_shutdown);
    drain();
  }
};

using strings = std::vector<std::string>;

} // namespace

CAF_TEST_FIXTURE_SCOPE(tailer_store_link_tests, link_fixture)

CAF_TEST(a node restarted before it flushed gets the acknowledged positions
             again before anything else) {
  CAF_REQUIRE(*ask<ok_atom>(set_atom_v, std::string{"a"}, std::string{"1-0"}));
  CAF_REQUIRE(*ask<uint64_t>(flush_atom_v));
  CAF_REQUIRE(
      *ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"2-0", "5-0"}));
  // Acknowledged, not flushed: the crash loses a=2-0 and b.
  auto second = restart_node(first);
  CAF_CHECK_EQUAL(second->durable.at("a"), "1-0");
  // The link reconnected and sent both again, as its first message.
  CAF_REQUIRE(!second->log.empty());
  CAF_CHECK_EQUAL(second->log.front(), "set a=2-0 b=5-0");
  auto rows = ask<uint64_t>(flush_atom_v);
  CAF_REQUIRE(*rows);
  CAF_CHECK_EQUAL(second->durable, (std::map<std::string, std::string>{
                                       {"a", "2-0"}, {"b", "5-0"}}));
}

CAF_TEST(requests that arrive during the replay wait for it and follow it) {
  CAF_REQUIRE(*ask<ok_atom>(set_atom_v, strings{"a"}, strings{"3-0"}));
  auto second = std::make_shared<node_script>();
  second->park_sets = true;
  auto dead = w->node;
  w->node = sys.spawn(mock_node, second);
  caf::anon_send_exit(dead, caf::exit_reason::kill);
  drain();
  CAF_REQUIRE_EQUAL(second->log, strings{"set a=3-0"});
  // A flush (the tailer's final one) waits: forwarded now it would commit
  // without the replay if that failed.
  auto flushed = ask<uint64_t>(flush_atom_v);
  auto get = ask<std::string>(get_atom_v, start_atom_v, std::string{"a"});
  CAF_CHECK_EQUAL(second->log, strings{"set a=3-0"});
  CAF_CHECK(flushed->error() == caf::sec::none);
  second->park_sets = false;
  second->memory["a"] = "3-0";
  caf::anon_send(w->node, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(second->log, (strings{"set a=3-0", "flush", "get a"}));
  CAF_REQUIRE(*flushed);
  CAF_CHECK_EQUAL(second->durable.at("a"), "3-0");
  CAF_REQUIRE(*get);
  CAF_CHECK_EQUAL(**get, "3-0");
}

CAF_TEST(a replay that times out fails the waiting flush and runs again on the
             next connection) {
  CAF_REQUIRE(
      *ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"4-0", "6-0"}));
  auto second = std::make_shared<node_script>();
  second->park_sets = true;
  auto dead = w->node;
  w->node = sys.spawn(mock_node, second);
  caf::anon_send_exit(dead, caf::exit_reason::kill);
  drain();
  auto flushed = ask<uint64_t>(flush_atom_v);
  CAF_CHECK(flushed->error() == caf::sec::none);
  // The request timeout (10 s) passes without an answer: the flush fails,
  // loudly, instead of committing without the positions.
  advance_time(10s);
  drain();
  CAF_REQUIRE(!*flushed);
  CAF_CHECK(is(flushed->error(), tailer_errc::store_unavailable));
  CAF_CHECK_EQUAL(second->log, strings{"set a=4-0 b=6-0"});
  // Not connected until the backoff's attempt.
  auto early = ask<ok_atom>(set_atom_v, std::string{"a"}, std::string{"7-0"});
  CAF_REQUIRE(!*early);
  CAF_CHECK(is(early->error(), tailer_errc::store_unavailable));
  second->park_sets = false;
  advance_time(100ms);
  drain();
  CAF_CHECK_EQUAL(second->log, (strings{"set a=4-0 b=6-0", "set a=4-0 b=6-0"}));
  auto rows = ask<uint64_t>(flush_atom_v);
  CAF_REQUIRE(*rows);
  CAF_CHECK_EQUAL(second->durable, (std::map<std::string, std::string>{
                                       {"a", "4-0"}, {"b", "6-0"}}));
}

CAF_TEST(a position the node holds newer is refused for that peer only) {
  CAF_REQUIRE(
      *ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"2-0", "5-0"}));
  CAF_REQUIRE(*ask<uint64_t>(flush_atom_v));
  CAF_REQUIRE(
      *ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"3-0", "6-0"}));
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
  CAF_REQUIRE(*ask<uint64_t>(flush_atom_v));
  CAF_CHECK_EQUAL(second->durable.at("a"), "3-0");
  auto refused = ask<ok_atom>(set_atom_v, std::string{"b"}, std::string{"7-0"});
  CAF_REQUIRE(!*refused);
  CAF_CHECK(cursor::is(refused->error(), cursor::errc::regression));
  // b is no longer replayed, a is.
  auto third = restart_node(second);
  CAF_REQUIRE(!third->log.empty());
  CAF_CHECK_EQUAL(third->log.front(), "set a=3-0");
}

CAF_TEST(a forgotten peer is not set again after a reconnection) {
  CAF_REQUIRE(
      *ask<ok_atom>(set_atom_v, strings{"a", "b"}, strings{"2-0", "5-0"}));
  CAF_REQUIRE(*ask<uint64_t>(flush_atom_v));
  // b stopped for good; its pipeline still records its last position, and
  // the operator then deletes its cursor on the node (durable).
  caf::anon_send(link, forget_atom_v, std::string{"b"});
  drain();
  CAF_REQUIRE(*ask<ok_atom>(set_atom_v, strings{"b"}, strings{"6-0"}));
  first->memory.erase("b");
  CAF_REQUIRE(*ask<uint64_t>(flush_atom_v));
  auto second = restart_node(first);
  CAF_CHECK_EQUAL(second->log.front(), "set a=2-0");
  CAF_CHECK_EQUAL(second->memory.count("b"), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
