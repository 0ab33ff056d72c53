// The plan-then-apply path of cursorctl import and rewind (make_plan, then
// set_in_chunks) against a real cursor store in this process, with another
// client's change scripted between the plan and the apply: a peer deleted,
// moved forwards or created after it was read is refused with `conflict`,
// named, counted and never applied, while every other entry is applied.

#define CAF_SUITE chunked_set

#include "cli/chunked_set.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
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
    return set_in_chunks(sys, store, 10s, changes, force, chunk_size, nullptr,
                         "test");
  }
};

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
}

CAF_TEST_FIXTURE_SCOPE_END()
