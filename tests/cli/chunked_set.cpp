// The plan-then-apply path of cursorctl import and rewind (make_plan, then
// set_in_chunks) against a real cursor store in this process, with another
// client's change scripted between the plan and the apply: a peer deleted,
// moved forwards or created after it was read is refused with `conflict`,
// named, counted and never applied, while every other entry is applied.
// And a chunk whose answer is lost (issue 17, point 5): a gate between the
// client and the store holds one chunk unanswered until the client's
// timeout, then applies it, drops it, or dies as a lost connection does;
// the client's read-back must report what the store then holds.

#define CAF_SUITE chunked_set

#include "cli/chunked_set.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/test/unit_test.hpp>

#include "cli/import_plan.hpp"
#include "cursor_actor/cursor_actor.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/register_types.hpp"

using namespace cursor;
using namespace cursor::cli;
using namespace std::chrono_literals;

namespace {

struct config : caf::actor_system_config {
  config() { register_types(*this); }
};

struct fixture {
  std::filesystem::path dir;
  config cfg;
  caf::actor_system sys{cfg};
  cursor_actor store;

  fixture() {
    char tmpl[] = "/tmp/chunked_set.XXXXXX";
    dir = ::mkdtemp(tmpl);
    cursor_options opts;
    opts.storage.db_path = (dir / "c.db").string();
    auto x = spawn_cursor_store(sys, opts);
    if (!x)
      CAF_FAIL("cannot start the store: " << render(x.error()));
    store = *x;
  }

  ~fixture() {
    stop_store(sys, store, caf::timespan{30s});
    std::filesystem::remove_all(dir);
  }

  // Another client's request, answered before the next step.
  template <class T, class... Ts>
  T call(Ts... xs) {
    caf::scoped_actor self{sys};
    T result{};
    self->request(store, caf::infinite, xs...)
        .receive([&](T& x) { result = std::move(x); },
                 [&](caf::error& e) { CAF_FAIL(render(e)); });
    return result;
  }

  std::string value(const std::string& peer) {
    auto x = call<cursor_lookup>(get_atom_v, peer);
    return x.found ? x.stream_id : std::string{"<none>"};
  }

  std::vector<planned_change> plan(const std::vector<file_entry>& entries) {
    auto p = make_plan(entries, call<std::vector<cursor_entry>>(list_atom_v));
    std::vector<planned_change> result;
    for (auto& x : p.changes)
      if (x.kind != change::unchanged)
        result.push_back(x);
    return result;
  }

  chunked_outcome apply(const std::vector<planned_change>& changes, bool force,
                        size_t chunk_size) {
    chunk_options opts;
    opts.timeout = 10s;
    opts.force = force;
    opts.chunk_size = chunk_size;
    opts.label = "test";
    return set_in_chunks(sys, store, changes, opts);
  }
};

// What the gate does with the chunk it holds (its `hold`-th set).
enum class held_fate {
  // Applies it when the first get arrives (a stopped node resumed): the
  // store handles it before that get.
  applied_late,
  // Drops it (never applied); gets go on.
  never,
  // Hands it to the store, then dies without an answer: a connection lost
  // after the node got the chunk.
  lost_after_applying,
  // Dies without handing it on: a connection lost with the chunk.
  lost,
};

struct gate_script {
  size_t hold = 1;
  held_fate what = held_fate::never;
  // Another client's forced sets, handled by the store just before the
  // held chunk is released, and just after it.
  std::vector<std::pair<std::string, std::string>> others_before;
  std::vector<std::pair<std::string, std::string>> others_after;
};

struct gate_state {
  size_t sets = 0;
  bool holding = false;
  caf::message held;
  caf::response_promise rp;
};

// Sends `x` to the store and ignores its answer.
void gate_pass_on(caf::stateful_actor<gate_state>* self,
                  const cursor_actor& store, caf::message x) {
  self->request(caf::actor_cast<caf::actor>(store), caf::infinite, std::move(x))
      .then([](ok_atom) {}, [](caf::error&) {});
}

void gate_others(caf::stateful_actor<gate_state>* self,
                 const cursor_actor& store,
                 const std::vector<std::pair<std::string, std::string>>& xs) {
  for (auto& [peer, id] : xs)
    gate_pass_on(self, store,
                 caf::make_message(set_atom_v, force_atom_v, peer, id));
}

// Stands where the node's front stands: an untyped actor handed out as a
// cursor_actor, answering the chunk's set messages and get.
caf::behavior answer_gate(caf::stateful_actor<gate_state>* self,
                          cursor_actor store, gate_script script) {
  using strs = std::vector<std::string>;
  auto on_set = [=](caf::message x) -> caf::result<ok_atom> {
    auto& st = self->state;
    if (++st.sets != script.hold) {
      auto rp = self->make_response_promise<ok_atom>();
      self->request(caf::actor_cast<caf::actor>(store), caf::infinite, x)
          .then([rp](ok_atom) mutable { rp.deliver(ok_atom_v); },
                [rp](caf::error& e) mutable { rp.deliver(e); });
      return rp;
    }
    if (script.what == held_fate::lost_after_applying)
      gate_pass_on(self, store, x);
    if (script.what == held_fate::lost
        || script.what == held_fate::lost_after_applying) {
      // The promise dies with the gate, unanswered: the client times out.
      self->quit();
      return self->make_response_promise<ok_atom>();
    }
    st.holding = true;
    st.held = std::move(x);
    st.rp = self->make_response_promise();
    return st.rp;
  };
  return {
      [=](set_atom a, expect_atom b, strs& peers, strs& wants, strs& ids) {
        return on_set(caf::make_message(a, b, std::move(peers),
                                        std::move(wants), std::move(ids)));
      },
      [=](set_atom a, expect_atom b, force_atom c, strs& peers, strs& wants,
          strs& ids) {
        return on_set(caf::make_message(a, b, c, std::move(peers),
                                        std::move(wants), std::move(ids)));
      },
      [=](get_atom, const std::string& peer) -> caf::result<cursor_lookup> {
        auto& st = self->state;
        if (st.holding) {
          st.holding = false;
          gate_others(self, store, script.others_before);
          if (script.what == held_fate::applied_late)
            gate_pass_on(self, store, st.held);
          gate_others(self, store, script.others_after);
        }
        // After the chunk and the other client's sets: one sender, one
        // receiver, in order.
        auto rp = self->make_response_promise<cursor_lookup>();
        self->request(store, caf::infinite, get_atom_v, peer)
            .then([rp](cursor_lookup& x) mutable { rp.deliver(std::move(x)); },
                  [rp](caf::error& e) mutable { rp.deliver(e); });
        return rp;
      },
  };
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(chunked_set_tests, fixture)

// Issue 17: rewind read the cursors, planned, then sent forced sets, so a
// peer deleted in between came back.
CAF_TEST(a rewind never brings back a peer deleted after the plan) {
  for (auto p : {"r.001997", "r.001998", "r.001999", "r.002000"})
    call<ok_atom>(set_atom_v, std::string{p}, std::string{"9-0"});
  std::vector<file_entry> targets;
  for (auto p : {"r.001997", "r.001998", "r.001999", "r.002000"})
    targets.push_back(file_entry{p, "5-0", targets.size() + 1});
  auto changes = plan(targets);
  CAF_REQUIRE_EQUAL(changes.size(), 4u);
  // Another operator deletes r.001999 between the plan and the apply.
  CAF_CHECK(call<bool>(delete_atom_v, std::string{"r.001999"}));
  auto res = apply(changes, true, 3);
  CAF_CHECK(!res.error);
  CAF_REQUIRE_EQUAL(res.conflicts.size(), 1u);
  CAF_CHECK_EQUAL(res.conflicts[0].peer, "r.001999");
  CAF_CHECK_EQUAL(res.conflicts[0].line, 3u);
  CAF_CHECK_EQUAL(res.conflicts[0].message,
                  "conflict: batch entry 2 of 3: cursor of 'r.001999': "
                  "expected 9-0, found no cursor; not set to 5-0; nothing in "
                  "the batch was applied");
  CAF_CHECK_EQUAL(res.applied_entries, 3u);
  CAF_CHECK_EQUAL(res.applied_chunks, 2u);
  CAF_CHECK_EQUAL(value("r.001999"), "<none>");
  CAF_CHECK_EQUAL(value("r.001997"), "5-0");
  CAF_CHECK_EQUAL(value("r.001998"), "5-0");
  CAF_CHECK_EQUAL(value("r.002000"), "5-0");
}

CAF_TEST(a forced import never overwrites a value set after the plan) {
  call<ok_atom>(set_atom_v, std::string{"a"}, std::string{"9-0"});
  call<ok_atom>(set_atom_v, std::string{"b"}, std::string{"9-0"});
  auto changes = plan({{"a", "3-0", 1}, {"b", "3-0", 2}, {"c", "3-0", 3}});
  CAF_REQUIRE_EQUAL(changes.size(), 3u);
  // A replicator moves a forwards and another client creates c meanwhile.
  call<ok_atom>(set_atom_v, std::string{"a"}, std::string{"12-0"});
  call<ok_atom>(set_atom_v, std::string{"c"}, std::string{"20-0"});
  auto res = apply(changes, true, 1000);
  CAF_CHECK(!res.error);
  CAF_REQUIRE_EQUAL(res.conflicts.size(), 2u);
  CAF_CHECK_EQUAL(res.conflicts[0].peer, "a");
  CAF_CHECK(res.conflicts[0].message.find("expected 9-0, found 12-0")
            != std::string::npos);
  CAF_CHECK_EQUAL(res.conflicts[1].peer, "c");
  CAF_CHECK(res.conflicts[1].message.find("expected no cursor, found 20-0")
            != std::string::npos);
  CAF_CHECK_EQUAL(res.applied_entries, 1u);
  CAF_CHECK_EQUAL(value("a"), "12-0");
  CAF_CHECK_EQUAL(value("b"), "3-0");
  CAF_CHECK_EQUAL(value("c"), "20-0");
}

CAF_TEST(an import without force meets a moved peer as a conflict) {
  call<ok_atom>(set_atom_v, std::string{"a"}, std::string{"5-0"});
  auto changes = plan({{"a", "7-0", 1}, {"b", "1-0", 2}});
  call<ok_atom>(set_atom_v, std::string{"a"}, std::string{"8-0"});
  auto res = apply(changes, false, 1000);
  CAF_CHECK(!res.error);
  CAF_REQUIRE_EQUAL(res.conflicts.size(), 1u);
  CAF_CHECK_EQUAL(res.conflicts[0].line, 1u);
  CAF_CHECK_EQUAL(value("a"), "8-0");
  CAF_CHECK_EQUAL(value("b"), "1-0");
}

CAF_TEST(a chunk whose every entry conflicts applies nothing and goes on) {
  call<ok_atom>(set_atom_v, std::string{"a"}, std::string{"5-0"});
  call<ok_atom>(set_atom_v, std::string{"b"}, std::string{"5-0"});
  auto changes = plan({{"a", "1-0", 1}, {"b", "1-0", 2}, {"c", "1-0", 3}});
  CAF_CHECK(call<bool>(delete_atom_v, std::string{"a"}));
  CAF_CHECK(call<bool>(delete_atom_v, std::string{"b"}));
  auto res = apply(changes, true, 2);
  CAF_CHECK(!res.error);
  CAF_CHECK_EQUAL(res.conflicts.size(), 2u);
  CAF_CHECK_EQUAL(res.applied_entries, 1u);
  CAF_CHECK_EQUAL(res.applied_chunks, 2u);
  CAF_CHECK_EQUAL(value("a"), "<none>");
  CAF_CHECK_EQUAL(value("b"), "<none>");
  CAF_CHECK_EQUAL(value("c"), "1-0");
}

CAF_TEST(a refusal other than a conflict still stops the run) {
  auto changes = plan({{"a", "1-0", 1}, {"b", "1-0", 2}});
  call<uint64_t>(close_atom_v);
  auto res = apply(changes, true, 1);
  CAF_CHECK(is(res.error, errc::closed));
  CAF_CHECK_EQUAL(res.failed_chunk, 1u);
  CAF_CHECK(res.conflicts.empty());
  // A refusal applied nothing: no read-back.
  CAF_CHECK(!res.ambiguous);
  CAF_CHECK(res.read_back.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- a chunk whose answer was lost ------------------------------------------

namespace {

struct lost_answer : fixture {
  size_t reconnects = 0;

  // Applies `changes` through a gate holding the `script.hold`-th chunk.
  // The chunk waits 200 ms for its answer: the gate never answers it, so
  // that bound only sets how long the test waits. The read-back gets 30 s,
  // generous: the store answers gets at once.
  chunked_outcome apply_through_gate(const std::vector<planned_change>& changes,
                                     bool force, size_t chunk_size,
                                     gate_script script,
                                     size_t* announced = nullptr) {
    auto front
        = caf::actor_cast<cursor_actor>(sys.spawn(answer_gate, store, script));
    chunk_options opts;
    opts.timeout = 200ms;
    opts.read_back_timeout = 30s;
    opts.force = force;
    opts.chunk_size = chunk_size;
    opts.label = "test";
    opts.on_read_back = [announced](const chunked_outcome& r) {
      if (announced != nullptr)
        *announced = r.read_back.size();
    };
    // A new connection reaches the store itself.
    opts.reconnect = [this]() -> std::optional<cursor_actor> {
      ++reconnects;
      return store;
    };
    auto res = set_in_chunks(sys, front, changes, opts);
    caf::anon_send_exit(front, caf::exit_reason::user_shutdown);
    return res;
  }

  // a at 5-0 and b absent, both planned to 7-0; the chunk's connection is
  // lost as `what` says, and the read-back connects again.
  chunked_outcome lose_connection(held_fate what) {
    call<ok_atom>(set_atom_v, std::string{"a"}, std::string{"5-0"});
    auto changes = plan({{"a", "7-0", 1}, {"b", "7-0", 2}});
    gate_script script;
    script.what = what;
    auto res = apply_through_gate(changes, false, 10, script);
    CAF_CHECK(res.ambiguous);
    CAF_CHECK_EQUAL(reconnects, 1u);
    return res;
  }

  static read_state state_of(const chunked_outcome& res,
                             const std::string& peer) {
    for (auto& x : res.read_back)
      if (x.peer == peer)
        return x.state;
    CAF_FAIL("no read-back entry for " << peer);
    return read_state::unknown;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(lost_answer_tests, lost_answer)

// The issue 17 case: the node was stopped with the chunk queued, the client
// timed out, the node resumed and applied it. Main reported "not applied".
CAF_TEST(a timed - out chunk the store applies later is reported applied) {
  call<ok_atom>(set_atom_v, std::string{"a"}, std::string{"1-0"});
  auto changes = plan(
      {{"a", "2-0", 1}, {"b", "2-0", 2}, {"c", "2-0", 3}, {"d", "2-0", 4}});
  CAF_REQUIRE_EQUAL(changes.size(), 4u);
  size_t announced = 0;
  gate_script script;
  script.hold = 2;
  script.what = held_fate::applied_late;
  auto res = apply_through_gate(changes, false, 2, script, &announced);
  CAF_CHECK(res.error == caf::sec::request_timeout);
  CAF_CHECK(res.ambiguous);
  CAF_CHECK_EQUAL(res.failed_chunk, 2u);
  CAF_CHECK_EQUAL(res.applied_chunks, 1u);
  CAF_CHECK_EQUAL(announced, 2u);
  CAF_REQUIRE_EQUAL(res.read_back.size(), 2u);
  CAF_CHECK_EQUAL(res.read_back[0].peer, "c");
  CAF_CHECK_EQUAL(res.read_back[0].line, 3u);
  CAF_CHECK(state_of(res, "c") == read_state::applied);
  CAF_CHECK(state_of(res, "d") == read_state::applied);
  CAF_CHECK(res.read_back[1].ordered);
  CAF_CHECK(res.read_back[1].was_read);
  CAF_CHECK_EQUAL(res.read_back[1].read, "2-0");
  CAF_CHECK_EQUAL(res.read_back_count(read_state::applied), 2u);
  CAF_CHECK_EQUAL(reconnects, 0u);
  // What the report says is what the store holds.
  CAF_CHECK_EQUAL(value("c"), "2-0");
  CAF_CHECK_EQUAL(value("d"), "2-0");
  CAF_CHECK_EQUAL(value("a"), "2-0");
}

CAF_TEST(a timed - out chunk the store never applies is reported not applied) {
  call<ok_atom>(set_atom_v, std::string{"a"}, std::string{"5-0"});
  auto changes = plan({{"a", "3-0", 1}, {"b", "3-0", 2}});
  gate_script script;
  script.hold = 1;
  script.what = held_fate::never;
  auto res = apply_through_gate(changes, true, 10, script);
  CAF_CHECK(res.ambiguous);
  CAF_CHECK_EQUAL(res.applied_chunks, 0u);
  CAF_REQUIRE_EQUAL(res.read_back.size(), 2u);
  CAF_CHECK(state_of(res, "a") == read_state::not_applied);
  CAF_CHECK(state_of(res, "b") == read_state::not_applied);
  CAF_CHECK_EQUAL(res.read_back[1].read, "no cursor");
  CAF_CHECK_EQUAL(value("a"), "5-0");
  CAF_CHECK_EQUAL(value("b"), "<none>");
}

CAF_TEST(
    a lost connection leaves the chunk unknown unless the value proves it) {
  auto res = lose_connection(held_fate::lost);
  CAF_REQUIRE_EQUAL(res.read_back.size(), 2u);
  // The planned-from values, read through a new connection: the old one
  // could still deliver the chunk.
  CAF_CHECK(state_of(res, "a") == read_state::unknown);
  CAF_CHECK(state_of(res, "b") == read_state::unknown);
  CAF_CHECK(!res.read_back[0].ordered);
  CAF_CHECK_EQUAL(res.read_back[0].read, "5-0");
}

CAF_TEST(a lost connection with the chunk applied is proven applied) {
  auto res = lose_connection(held_fate::lost_after_applying);
  CAF_CHECK(state_of(res, "a") == read_state::applied);
  CAF_CHECK(state_of(res, "b") == read_state::applied);
  CAF_CHECK_EQUAL(value("a"), "7-0");
  CAF_CHECK_EQUAL(value("b"), "7-0");
}

CAF_TEST(a lost connection without a new one leaves every peer unknown) {
  auto changes = plan({{"a", "7-0", 1}});
  auto front = caf::actor_cast<cursor_actor>(
      sys.spawn(answer_gate, store, gate_script{1, held_fate::lost, {}, {}}));
  chunk_options opts;
  opts.timeout = 200ms;
  opts.read_back_timeout = 30s;
  auto res = set_in_chunks(sys, front, changes, opts);
  CAF_REQUIRE_EQUAL(res.read_back.size(), 1u);
  CAF_CHECK(res.read_back[0].state == read_state::unknown);
  CAF_CHECK_EQUAL(res.read_back[0].read,
                  "not read: the connection to the node was lost");
  CAF_CHECK(!res.read_back[0].was_read);
}

// The chunk conflicts when released (another client moved b first): nothing
// of it applied; a and c still hold what they were planned from, b holds
// the other client's value.
CAF_TEST(a mixed chunk reports each peer for what it holds) {
  for (auto p : {"a", "b", "c"})
    call<ok_atom>(set_atom_v, std::string{p}, std::string{"9-0"});
  auto changes = plan({{"a", "4-0", 1}, {"b", "4-0", 2}, {"c", "4-0", 3}});
  gate_script script;
  script.what = held_fate::applied_late;
  script.others_before = {{"b", "12-0"}};
  auto res = apply_through_gate(changes, true, 10, script);
  CAF_CHECK(res.ambiguous);
  CAF_CHECK(state_of(res, "a") == read_state::not_applied);
  CAF_CHECK(state_of(res, "b") == read_state::unknown);
  CAF_CHECK(state_of(res, "c") == read_state::not_applied);
  CAF_CHECK_EQUAL(value("a"), "9-0");
  CAF_CHECK_EQUAL(value("b"), "12-0");
  CAF_CHECK_EQUAL(value("c"), "9-0");
}

// Applied, then another client moved c on: a and b are applied, c is
// neither planned value and unknown.
CAF_TEST(
    a peer moved after the chunk applied is unknown rather than not applied) {
  auto changes = plan({{"a", "4-0", 1}, {"b", "4-0", 2}, {"c", "4-0", 3}});
  gate_script script;
  script.what = held_fate::applied_late;
  script.others_after = {{"c", "20-0"}};
  auto res = apply_through_gate(changes, false, 10, script);
  CAF_CHECK(state_of(res, "a") == read_state::applied);
  CAF_CHECK(state_of(res, "b") == read_state::applied);
  CAF_CHECK(state_of(res, "c") == read_state::unknown);
  CAF_CHECK_EQUAL(res.read_back_count(read_state::unknown), 1u);
  CAF_CHECK_EQUAL(value("c"), "20-0");
}

CAF_TEST_FIXTURE_SCOPE_END()
