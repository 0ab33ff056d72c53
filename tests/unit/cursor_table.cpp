// The cursor table on its own, without an actor system: sets and their
// refusals, deletes hidden until committed, snapshots sorted exactly as
// strings, commits that keep later changes dirty, and dirty ages.

#define CAF_SUITE cursor_table

#include "cursor_table.hpp"

#include "test.hpp"

#include <map>

using namespace cursor;
using namespace std::chrono_literals;

namespace {

struct fixture {
  cursor_table::time_point now{};
  cursor_table table{[this] { return now; }};

  stream_id id(uint64_t ms, uint64_t seq = 0) { return stream_id{ms, seq}; }

  set_outcome set(const std::string& peer, stream_id x, bool force = false) {
    return table.set(peer, x, 7, force);
  }

  std::map<std::string, std::string> visible() {
    std::map<std::string, std::string> result;
    table.for_each([&](const std::string& peer, const cursor_value& value,
                       bool) { result.emplace(peer, value.id.to_string()); });
    return result;
  }

  std::vector<std::string> peers_of(const write_batch& batch) {
    std::vector<std::string> result;
    for (auto& op : batch.ops)
      result.push_back(op.peer);
    return result;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(cursor_table_tests, fixture)

CAF_TEST(a set marks the peer dirty and a commit makes it durable) {
  CAF_CHECK(set("a", id(1)) == set_outcome::changed);
  auto x = table.find("a");
  CAF_REQUIRE(x.value != nullptr);
  CAF_CHECK(x.value->id == id(1));
  CAF_CHECK_EQUAL(x.value->updated_at, 7);
  CAF_CHECK(!x.durable);
  CAF_CHECK_EQUAL(table.dirty_count(), 1u);
  auto snap = table.snapshot();
  CAF_REQUIRE_EQUAL(snap.batch.ops.size(), 1u);
  CAF_CHECK_EQUAL(snap.batch.ops[0].peer, "a");
  CAF_CHECK_EQUAL(snap.batch.ops[0].stream_id, "1-0");
  CAF_CHECK(!snap.batch.ops[0].erase);
  table.commit(snap.version);
  CAF_CHECK(table.clean());
  CAF_CHECK(table.find("a").durable);
}

CAF_TEST(equal values change nothing and lower ones need force) {
  table.load("a", cursor_value{id(5), 1});
  CAF_CHECK(set("a", id(5)) == set_outcome::unchanged);
  CAF_CHECK(table.clean());
  stream_id current;
  CAF_CHECK(table.set("a", id(4), 9, false, &current)
            == set_outcome::regression);
  CAF_CHECK(current == id(5));
  CAF_CHECK(table.clean());
  CAF_CHECK(table.find("a").value->id == id(5));
  CAF_CHECK(set("a", id(4), true) == set_outcome::changed);
  CAF_CHECK(table.find("a").value->id == id(4));
  CAF_CHECK_EQUAL(table.dirty_count(), 1u);
}

CAF_TEST(loading a peer twice keeps the first row) {
  CAF_CHECK(table.load("a", cursor_value{id(1), 1}));
  CAF_CHECK(!table.load("a", cursor_value{id(2), 1}));
  CAF_CHECK(table.find("a").value->id == id(1));
  CAF_CHECK(table.find("a").durable);
  CAF_CHECK_EQUAL(table.size(), 1u);
}

CAF_TEST(an erased peer is hidden at once and dropped when committed) {
  table.load("a", cursor_value{id(1), 1});
  table.load("b", cursor_value{id(2), 1});
  CAF_CHECK(table.erase("zzz") == erase_outcome::unknown);
  CAF_CHECK(table.clean());
  CAF_CHECK(table.erase("a") == erase_outcome::erased);
  CAF_CHECK(table.find("a").value == nullptr);
  CAF_CHECK_EQUAL(table.size(), 1u);
  CAF_CHECK(visible() == (std::map<std::string, std::string>{{"b", "2-0"}}));
  CAF_CHECK(table.erase("a") == erase_outcome::erased_again);
  auto snap = table.snapshot();
  CAF_REQUIRE_EQUAL(snap.batch.ops.size(), 1u);
  CAF_CHECK(snap.batch.ops[0].erase);
  table.commit(snap.version);
  CAF_CHECK(table.clean());
  CAF_CHECK(table.erase("a") == erase_outcome::unknown);
  CAF_CHECK_EQUAL(table.size(), 1u);
}

CAF_TEST(a set over a pending delete brings the peer back) {
  table.load("a", cursor_value{id(9), 1});
  table.erase("a");
  // The pending delete counts as absent: a lower value is no regression.
  CAF_CHECK(set("a", id(1)) == set_outcome::changed);
  CAF_CHECK(table.find("a").value->id == id(1));
  CAF_CHECK_EQUAL(table.size(), 1u);
  auto snap = table.snapshot();
  CAF_REQUIRE_EQUAL(snap.batch.ops.size(), 1u);
  CAF_CHECK(!snap.batch.ops[0].erase);
  table.commit(snap.version);
  CAF_CHECK(table.find("a").durable);
}

CAF_TEST(a change after the snapshot stays dirty after its commit) {
  set("a", id(1));
  set("b", id(1));
  auto snap = table.snapshot();
  set("a", id(2));
  table.erase("b");
  table.commit(snap.version);
  CAF_CHECK_EQUAL(table.dirty_count(), 2u);
  CAF_CHECK(!table.find("a").durable);
  CAF_CHECK(table.find("b").value == nullptr);
  auto next = table.snapshot();
  CAF_REQUIRE_EQUAL(next.batch.ops.size(), 2u);
  CAF_CHECK_EQUAL(next.batch.ops[0].stream_id, "2-0");
  CAF_CHECK(next.batch.ops[1].erase);
  table.commit(next.version);
  CAF_CHECK(table.clean());
  CAF_CHECK_EQUAL(table.size(), 1u);
}

CAF_TEST(a snapshot that never commits leaves everything dirty) {
  set("a", id(1));
  auto lost = table.snapshot();
  static_cast<void>(lost);
  set("b", id(1));
  auto snap = table.snapshot(); // the retry: everything, rebuilt
  CAF_CHECK_EQUAL(snap.batch.ops.size(), 2u);
  table.commit(snap.version);
  CAF_CHECK(table.clean());
}

CAF_TEST(snapshots are sorted exactly as strings whatever the peers share) {
  std::vector<std::string> peers{"node-10",
                                 "node-1",
                                 "node-1\x7f",
                                 "node-",
                                 "node-100000000000",
                                 "node-10000000000",
                                 "nodf",
                                 "a",
                                 std::string("node-1\0x", 8),
                                 "node-1000000000000000000000002",
                                 "node-1000000000000000000000001"};
  for (auto& p : peers)
    set(p, id(1));
  auto snap = table.snapshot();
  auto sorted = peers;
  std::sort(sorted.begin(), sorted.end());
  CAF_CHECK(peers_of(snap.batch) == sorted);
  // Peers added after the prefix shrank are sorted as well.
  table.commit(snap.version);
  set("node-3", id(2));
  set("node-20", id(2));
  set("b", id(2));
  auto next = table.snapshot();
  CAF_CHECK(peers_of(next.batch)
            == (std::vector<std::string>{"b", "node-20", "node-3"}));
}

CAF_TEST(a batch is applied whole or not at all) {
  table.load("b", cursor_value{id(5), 1});
  stream_id current;
  size_t changed = 0;
  std::vector<std::string> peers{"a", "b", "a", "c", "b"};
  std::vector<stream_id> ids{id(1), id(6), id(2), id(1), id(4)};
  // Entry 4 moves b back from 6 (set by entry 1) to 4: refused.
  CAF_CHECK_EQUAL(table.set_all(peers, ids, 3, current, changed), 4u);
  CAF_CHECK(current == id(6));
  CAF_CHECK(table.clean());
  CAF_CHECK(visible() == (std::map<std::string, std::string>{{"b", "5-0"}}));
  ids[4] = id(6); // equal to entry 1: no change, no refusal
  CAF_CHECK_EQUAL(table.set_all(peers, ids, 3, current, changed), 5u);
  CAF_CHECK_EQUAL(changed, 4u);
  CAF_CHECK(visible()
            == (std::map<std::string, std::string>{
                {"a", "2-0"}, {"b", "6-0"}, {"c", "1-0"}}));
  CAF_CHECK_EQUAL(table.dirty_count(), 3u);
}

CAF_TEST(the dirty age starts at the first change not yet committed) {
  CAF_CHECK(!table.oldest_dirty());
  set("a", id(1));
  auto t0 = now;
  now += 100ms;
  set("b", id(1));
  set("a", id(2));
  CAF_CHECK(table.oldest_dirty() == t0);
  auto snap = table.snapshot();
  now += 1s;
  set("a", id(3)); // the first change after the snapshot
  now += 1s;
  set("a", id(4));
  table.commit(snap.version);
  CAF_CHECK(table.oldest_dirty() == t0 + 1100ms);
  // A failed attempt commits nothing: the age stays.
  auto lost = table.snapshot();
  static_cast<void>(lost);
  now += 1s;
  CAF_CHECK(table.oldest_dirty() == t0 + 1100ms);
  auto retry = table.snapshot();
  table.commit(retry.version);
  CAF_CHECK(!table.oldest_dirty());
}

CAF_TEST_FIXTURE_SCOPE_END()
