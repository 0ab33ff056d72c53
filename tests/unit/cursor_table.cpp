// The cursor table on its own, without an actor system: sets and their
// refusals, deletes hidden until committed, snapshots sorted exactly as
// strings, commits that keep later changes dirty, and dirty ages.

#define CAF_SUITE cursor_table

#include "cursor_table.hpp"
#include "page_scan.hpp"

#include "test.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>

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
  std::vector<std::string> peers{"a", "b", "a", "c", "b"};
  std::vector<stream_id> ids{id(1), id(6), id(2), id(1), id(4)};
  // Entry 4 moves b back from 6 (set by entry 1) to 4: refused.
  auto out = table.set_all(peers, ids, 3, false);
  CAF_CHECK_EQUAL(out.refused, 4u);
  CAF_CHECK(out.reason == set_outcome::regression);
  CAF_CHECK(out.found == id(6));
  CAF_CHECK(table.clean());
  CAF_CHECK(visible() == (std::map<std::string, std::string>{{"b", "5-0"}}));
  ids[4] = id(6); // equal to entry 1: no change, no refusal
  out = table.set_all(peers, ids, 3, false);
  CAF_CHECK_EQUAL(out.refused, 5u);
  CAF_CHECK_EQUAL(out.changed, 4u);
  CAF_CHECK(visible()
            == (std::map<std::string, std::string>{
                {"a", "2-0"}, {"b", "6-0"}, {"c", "1-0"}}));
  CAF_CHECK_EQUAL(table.dirty_count(), 3u);
}

// Issue 17: the batch checked its entries against marks it updates only at
// the end, so a peer with a pending delete looked absent to every entry of
// the batch, and a second entry could move it back.
CAF_TEST(a pending delete is absent only until an entry of the batch sets it) {
  table.load("p", cursor_value{id(10), 1});
  table.erase("p");
  auto out = table.set_all({"p", "p"}, {id(5), id(3)}, 3, false);
  CAF_CHECK_EQUAL(out.refused, 1u);
  CAF_CHECK(out.reason == set_outcome::regression);
  CAF_CHECK(out.found == id(5));
  // Nothing changed: still hidden, its delete still the pending change.
  CAF_CHECK(table.find("p").value == nullptr);
  CAF_CHECK_EQUAL(table.size(), 0u);
  auto snap = table.snapshot();
  CAF_REQUIRE_EQUAL(snap.batch.ops.size(), 1u);
  CAF_CHECK(snap.batch.ops[0].erase);
  // Forward within the batch is fine, and so is the same value again.
  out = table.set_all({"p", "p", "p"}, {id(5), id(7), id(7)}, 3, false);
  CAF_CHECK_EQUAL(out.refused, 3u);
  CAF_CHECK_EQUAL(out.changed, 2u);
  CAF_CHECK(table.find("p").value->id == id(7));
  CAF_CHECK_EQUAL(table.size(), 1u);
  snap = table.snapshot();
  CAF_REQUIRE_EQUAL(snap.batch.ops.size(), 1u);
  CAF_CHECK(!snap.batch.ops[0].erase);
  CAF_CHECK_EQUAL(snap.batch.ops[0].stream_id, "7-0");
}

CAF_TEST(a forced batch over a pending delete ends at its last entry) {
  table.load("p", cursor_value{id(10), 1});
  table.erase("p");
  auto out = table.set_all({"p", "p"}, {id(5), id(3)}, 3, true);
  CAF_CHECK_EQUAL(out.refused, 2u);
  CAF_CHECK(table.find("p").value->id == id(3));
  CAF_CHECK_EQUAL(table.size(), 1u);
  CAF_CHECK_EQUAL(table.dirty_count(), 1u);
}

CAF_TEST(a batch setting a pending delete to its old value brings it back) {
  table.load("p", cursor_value{id(10), 1});
  table.erase("p");
  auto out = table.set_all({"p"}, {id(10)}, 3, false);
  CAF_CHECK_EQUAL(out.refused, 1u);
  CAF_CHECK_EQUAL(out.changed, 1u);
  CAF_CHECK(table.find("p").value->id == id(10));
  auto snap = table.snapshot();
  CAF_REQUIRE_EQUAL(snap.batch.ops.size(), 1u);
  CAF_CHECK(!snap.batch.ops[0].erase);
}

CAF_TEST(a new peer refused later in its batch is gone again) {
  auto out = table.set_all({"q", "r", "q"}, {id(5), id(1), id(3)}, 3, false);
  CAF_CHECK_EQUAL(out.refused, 2u);
  CAF_CHECK(out.found == id(5));
  CAF_CHECK(table.find("q").value == nullptr);
  CAF_CHECK(table.find("r").value == nullptr);
  CAF_CHECK_EQUAL(table.size(), 0u);
  CAF_CHECK(table.clean());
  CAF_CHECK(visible().empty());
}

CAF_TEST(a dirty peer refused in a batch keeps its value and its mark) {
  set("p", id(10));
  auto before = table.find("p");
  auto out = table.set_all({"p", "p"}, {id(10), id(9)}, 3, false);
  CAF_CHECK_EQUAL(out.refused, 1u);
  CAF_CHECK(out.found == id(10));
  CAF_CHECK(table.find("p").value->id == id(10));
  CAF_CHECK_EQUAL(table.find("p").value->updated_at, before.value->updated_at);
  CAF_CHECK_EQUAL(table.dirty_count(), 1u);
}

namespace {

// Every state one peer can be in when a batch reaches it, as far as a set
// can tell: no cursor, a committed cursor, a dirty cursor, a pending delete
// (hidden, not committed), a pending delete after a dirty set.
enum class start_state { absent, clean, dirty, deleted, deleted_dirty };

constexpr start_state all_start_states[]
    = {start_state::absent, start_state::clean, start_state::dirty,
       start_state::deleted, start_state::deleted_dirty};

void prepare(cursor_table& table, start_state state, const std::string& peer) {
  switch (state) {
    case start_state::absent:
      break;
    case start_state::clean:
      table.load(peer, cursor_value{stream_id{5, 0}, 1});
      break;
    case start_state::dirty:
      table.set(peer, stream_id{5, 0}, 1, false);
      break;
    case start_state::deleted:
      table.load(peer, cursor_value{stream_id{5, 0}, 1});
      table.erase(peer);
      break;
    case start_state::deleted_dirty:
      table.set(peer, stream_id{5, 0}, 1, false);
      table.erase(peer);
      break;
  }
}

// What can be seen of a table: its visible cursors and its pending changes.
std::string describe(cursor_table& table) {
  std::map<std::string, std::string> seen;
  table.for_each([&](const std::string& p, const cursor_value& v, bool d) {
    seen.emplace(p, v.id.to_string() + "@" + std::to_string(v.updated_at)
                        + (d ? " durable" : ""));
  });
  std::map<std::string, std::string> dirty;
  table.for_each_dirty(
      [&](const std::string& p, const cursor_value& v, bool erase) {
        dirty.emplace(p, erase ? "erase" : v.id.to_string());
      });
  std::string result;
  for (auto& [p, v] : seen)
    result += p + "=" + v + " ";
  result += "| dirty:";
  for (auto& [p, v] : dirty)
    result += " " + p + "=" + v;
  return result + " | size " + std::to_string(table.size());
}

std::string show(const expected_value& x) {
  return x ? x->to_string() : "none";
}

// Checks, for one start state per peer and one batch, that the batch does
// exactly what the sequence of single sets does, all or nothing: when a
// single set refuses entry k, the batch refuses entry k with the same
// reason and state met, and leaves the table as it was; otherwise both
// tables end alike. `expected` makes them conditional sets.
void check_batch_is_sequence(const std::vector<start_state>& states,
                             const std::vector<std::string>& peers,
                             const std::vector<stream_id>& ids, bool force,
                             const std::vector<expected_value>* expected,
                             const std::string& label) {
  cursor_table::time_point now{};
  auto clock = [&] { return now; };
  cursor_table batched{clock};
  cursor_table single{clock};
  for (size_t k = 0; k < states.size(); ++k) {
    auto peer = std::string(1, static_cast<char>('p' + k));
    prepare(batched, states[k], peer);
    prepare(single, states[k], peer);
  }
  auto before = describe(batched);
  size_t refused = peers.size();
  set_outcome reason = set_outcome::changed;
  expected_value found;
  size_t changed = 0;
  for (size_t k = 0; k < peers.size() && refused == peers.size(); ++k) {
    expected_value met;
    stream_id current;
    auto out
        = expected == nullptr
              ? single.set(peers[k], ids[k], 3, force, &current)
              : single.set_if(peers[k], (*expected)[k], ids[k], 3, force, &met);
    if (expected == nullptr && out == set_outcome::regression)
      met = current;
    if (out == set_outcome::changed) {
      ++changed;
    } else if (out != set_outcome::unchanged) {
      refused = k;
      reason = out;
      found = met;
    }
  }
  auto out = batched.set_all(peers, ids, 3, force, expected);
  CHECK_MSG(out.refused == refused, label << ": batch refused entry "
                                          << out.refused << ", singles "
                                          << refused);
  if (refused < peers.size()) {
    CHECK_MSG(out.reason == reason, label << ": another reason");
    CHECK_MSG(out.found == found, label << ": met " << show(out.found)
                                        << ", singles met " << show(found));
    CHECK_MSG(describe(batched) == before, label << ": a refused batch changed "
                                                 << before << " into "
                                                 << describe(batched));
  } else {
    CHECK_MSG(out.changed == changed,
              label << ": changed " << out.changed << ", singles " << changed);
    CHECK_MSG(describe(batched) == describe(single),
              label << ": batch " << describe(batched) << ", singles "
                    << describe(single));
  }
}

} // namespace

// Every start state of one peer x batches of up to three entries for it
// (so repeats), values below, equal to and above the start value, plain
// and forced: a batch is the sequence of single sets, all or nothing.
CAF_TEST(a batch does what the sequence of single sets does in every state) {
  std::vector<stream_id> values{id(3), id(5), id(7)};
  size_t cases = 0;
  for (auto state : all_start_states)
    for (bool force : {false, true})
      for (size_t len = 1; len <= 3; ++len) {
        size_t combos = 1;
        for (size_t k = 0; k < len; ++k)
          combos *= values.size();
        for (size_t c = 0; c < combos; ++c) {
          std::vector<std::string> peers;
          std::vector<stream_id> ids;
          std::string label = "state " + std::to_string(int(state))
                              + (force ? " forced" : "") + ":";
          for (size_t k = 0, rest = c; k < len; ++k, rest /= values.size()) {
            peers.push_back("p");
            ids.push_back(values[rest % values.size()]);
            label += " " + ids.back().to_string();
          }
          check_batch_is_sequence({state}, peers, ids, force, nullptr, label);
          ++cases;
        }
      }
  CAF_MESSAGE(cases << " batches checked");
}

// Two peers in different states, interleaved in one batch.
CAF_TEST(a batch over two peers in any states is the sequence of sets) {
  std::vector<stream_id> values{id(3), id(5), id(7)};
  size_t cases = 0;
  for (auto sp : all_start_states)
    for (auto sq : all_start_states)
      for (bool force : {false, true})
        for (size_t c = 0; c < 81; ++c) {
          std::vector<std::string> peers{"p", "q", "p", "q"};
          std::vector<stream_id> ids;
          std::string label = "states " + std::to_string(int(sp)) + "/"
                              + std::to_string(int(sq))
                              + (force ? " forced" : "") + ":";
          for (size_t k = 0, rest = c; k < 4; ++k, rest /= 3) {
            ids.push_back(values[rest % 3]);
            label += " " + peers[k] + "=" + ids.back().to_string();
          }
          check_batch_is_sequence({sp, sq}, peers, ids, force, nullptr, label);
          ++cases;
        }
  CAF_MESSAGE(cases << " batches checked");
}

// Conditional entries: every start state x one or two entries for one peer,
// each expecting no cursor or one of the values, plain and forced.
CAF_TEST(a conditional batch does what the sequence of set_if does) {
  std::vector<stream_id> values{id(3), id(5), id(7)};
  std::vector<expected_value> wants{std::nullopt, id(3), id(5), id(7)};
  size_t cases = 0;
  for (auto state : all_start_states)
    for (bool force : {false, true})
      for (size_t len = 1; len <= 2; ++len) {
        size_t combos = 1;
        for (size_t k = 0; k < len; ++k)
          combos *= values.size() * wants.size();
        for (size_t c = 0; c < combos; ++c) {
          std::vector<std::string> peers;
          std::vector<stream_id> ids;
          std::vector<expected_value> expected;
          std::string label = "state " + std::to_string(int(state))
                              + (force ? " forced" : "") + ":";
          for (size_t k = 0, rest = c; k < len; ++k) {
            peers.push_back("p");
            ids.push_back(values[rest % values.size()]);
            rest /= values.size();
            expected.push_back(wants[rest % wants.size()]);
            rest /= wants.size();
            label
                += " " + show(expected.back()) + "->" + ids.back().to_string();
          }
          check_batch_is_sequence({state}, peers, ids, force, &expected, label);
          ++cases;
        }
      }
  CAF_MESSAGE(cases << " conditional batches checked");
}

CAF_TEST(a conditional set never brings back a pending delete) {
  table.load("p", cursor_value{id(10), 1});
  table.erase("p");
  expected_value found = id(1);
  CAF_CHECK(table.set_if("p", id(10), id(5), 3, true, &found)
            == set_outcome::conflict);
  CAF_CHECK(!found);
  CAF_CHECK(table.find("p").value == nullptr);
  CAF_CHECK(table.set_if("q", id(1), id(5), 3, true, &found)
            == set_outcome::conflict);
  CAF_CHECK(table.find("q").value == nullptr);
  CAF_CHECK_EQUAL(table.size(), 0u); // the refused new entry is gone
  CAF_CHECK_EQUAL(table.dirty_count(), 1u);
  CAF_CHECK(table.set_if("p", std::nullopt, id(5), 3, false)
            == set_outcome::changed);
  CAF_CHECK(table.find("p").value->id == id(5));
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

namespace {

std::string peer_name(size_t i) {
  // Host-like names whose byte order differs from the numeric order.
  return "host-" + std::to_string((i * 7919) % 100003) + ".dc"
         + std::to_string(i % 7);
}

// One page by slices of `slice` buckets, calling `between()` before every
// slice but the first.
template <class F>
std::vector<cursor_entry> page(cursor_table& table, const std::string& after,
                               uint32_t limit, size_t slice, bool& more,
                               F between, size_t* restarts = nullptr) {
  page_scan scan{after, limit};
  bool first = true;
  for (;;) {
    if (!first)
      between();
    first = false;
    if (scan.step(table, slice))
      break;
  }
  if (restarts != nullptr)
    *restarts = scan.restarts();
  return scan.finish(table, more);
}

} // namespace

CAF_TEST(pages in slices return every cursor exactly once in order) {
  for (size_t i = 0; i < 10000; ++i)
    set(peer_name(i), id(i + 1));
  std::set<std::string> expected;
  table.for_each([&](const std::string& peer, const cursor_value&, bool) {
    expected.insert(peer);
  });
  CAF_REQUIRE_EQUAL(expected.size(), 10000u);
  std::vector<std::string> got;
  std::string after;
  bool more = true;
  size_t pages = 0;
  while (more) {
    auto entries = page(table, after, 97, 64, more, [] {});
    CAF_REQUIRE(pages++ < 200);
    for (auto& e : entries) {
      CAF_CHECK(e.peer > after);
      after = e.peer;
      got.push_back(e.peer);
      CAF_CHECK_EQUAL(e.stream_id, table.find(e.peer).value->id.to_string());
    }
  }
  CAF_CHECK_EQUAL(pages, 104u); // 103 full pages and one of 9 entries
  CAF_CHECK(std::vector<std::string>(expected.begin(), expected.end()) == got);
}

CAF_TEST(sets and deletes between pages and slices lose and repeat nothing) {
  // Peers 0..4999 stay throughout (some are set again); 5000..7999 are
  // deleted during the listing; new peers come in during the listing.
  for (size_t i = 0; i < 8000; ++i)
    set(peer_name(i), id(i + 1));
  table.commit(table.snapshot().version);
  std::set<std::string> stable;
  for (size_t i = 0; i < 5000; ++i)
    stable.insert(peer_name(i));
  std::mt19937 rng{42};
  size_t next_new = 200000;
  size_t next_delete = 5000;
  auto mutate = [&] {
    for (int k = 0; k < 5; ++k) {
      if (next_new < 201500) // a bounded number of new peers
        set("new-" + std::to_string(next_new++), id(1));
      if (next_delete < 8000)
        table.erase(peer_name(next_delete++));
      auto j = rng() % 5000;
      set(peer_name(j), id(100000 + rng() % 100000), true);
    }
    if (rng() % 4 == 0) // deletes leave the map only when they commit
      table.commit(table.snapshot().version);
  };
  std::vector<std::string> got;
  std::string after;
  bool more = true;
  size_t pages = 0;
  while (more) {
    auto entries = page(table, after, 61, 32, more, mutate);
    CAF_REQUIRE(pages++ < 1000);
    mutate();
    for (auto& e : entries) {
      if (!(e.peer > after)) // strictly increasing, so no repeat
        CAF_FAIL("page " << pages << ": " << e.peer << " after " << after);
      after = e.peer;
      got.push_back(e.peer);
    }
  }
  CAF_CHECK(next_delete == 8000);
  std::set<std::string> got_set(got.begin(), got.end());
  CAF_CHECK_EQUAL(got_set.size(), got.size());
  for (auto& peer : stable)
    CAF_CHECK(got_set.count(peer) == 1);
}

CAF_TEST(a page after the last peer is empty and the last page says no more) {
  for (size_t i = 0; i < 10; ++i)
    set("p" + std::to_string(i), id(i + 1));
  bool more = true;
  auto entries = page(table, "q", 5, 4, more, [] {});
  CAF_CHECK(entries.empty());
  CAF_CHECK(!more);
  entries = page(table, "p4", 5, 4, more, [] {});
  CAF_REQUIRE_EQUAL(entries.size(), 5u);
  CAF_CHECK_EQUAL(entries.front().peer, "p5");
  CAF_CHECK_EQUAL(entries.back().peer, "p9");
  CAF_CHECK(!more);
  entries = page(table, "", 5, 4, more, [] {});
  CAF_REQUIRE_EQUAL(entries.size(), 5u);
  CAF_CHECK_EQUAL(entries.back().peer, "p4");
  CAF_CHECK(more);
  // A deleted peer is not listed, a committed one has durable set.
  table.erase("p0");
  table.commit(table.snapshot().version);
  set("p1", id(50));
  entries = page(table, "", 2, 4, more, [] {});
  CAF_REQUIRE_EQUAL(entries.size(), 2u);
  CAF_CHECK_EQUAL(entries[0].peer, "p1");
  CAF_CHECK_EQUAL(entries[0].stream_id, "50-0");
  CAF_CHECK(!entries[0].durable);
  CAF_CHECK_EQUAL(entries[1].peer, "p2");
  CAF_CHECK(entries[1].durable);
}

CAF_TEST(a rehash during a scan restarts it and the page stays right) {
  for (size_t i = 0; i < 100; ++i)
    set(peer_name(i), id(1));
  size_t added = 0;
  size_t restarts = 0;
  auto grow = [&] {
    if (added < 20000)
      for (size_t k = 0; k < 5000; ++k, ++added)
        set(peer_name(1000 + added), id(2));
  };
  bool more = false;
  auto entries = page(table, "", 50, 8, more, grow, &restarts);
  CAF_CHECK(restarts > 1);
  std::set<std::string> all;
  table.for_each([&](const std::string& peer, const cursor_value&, bool) {
    all.insert(peer);
  });
  std::vector<std::string> expected(all.begin(), all.end());
  expected.resize(50);
  std::vector<std::string> got;
  for (auto& e : entries)
    got.push_back(e.peer);
  CAF_CHECK(got == expected);
  CAF_CHECK(more);
}

// -- write rounds in pieces (issue 18)
// -----------------------------------------

namespace {

// Every op of the pieces of the round frozen last, `max` peers at a time,
// calling `between(k)` after piece k.
template <class F>
std::vector<write_op> pieces(cursor_table& table, size_t max, F between,
                             size_t* count = nullptr) {
  std::vector<write_op> ops;
  size_t k = 0;
  for (bool more = true; more; ++k) {
    auto before = ops.size();
    more = table.next_piece(max, ops);
    CAF_CHECK(ops.size() - before <= max);
    between(k);
  }
  if (count != nullptr)
    *count = k;
  return ops;
}

} // namespace

CAF_TEST(pieces carry every frozen peer once with its value at the piece) {
  for (size_t i = 0; i < 10; ++i)
    set(peer_name(i), id(1));
  auto v = table.freeze();
  std::string late = peer_name(3);
  size_t n = 0;
  auto ops = pieces(
      table, 3,
      [&](size_t k) {
        if (k == 0) {
          set(late, id(5));  // sent in this piece or a later one
          set("new", id(1)); // after the freeze: not in this round
        }
      },
      &n);
  CAF_CHECK_EQUAL(n, 4u);
  CAF_REQUIRE_EQUAL(ops.size(), 10u);
  std::set<std::string> peers;
  for (auto& op : ops) {
    peers.insert(op.peer);
    CAF_CHECK(!op.erase);
  }
  CAF_CHECK_EQUAL(peers.size(), 10u);
  CAF_CHECK_EQUAL(peers.count("new"), 0u);
  table.begin_commit(v);
  // At once, before any slice: the round reads as committed, except the
  // peer changed after the freeze (whatever its piece carried) and the new
  // one.
  CAF_CHECK_EQUAL(table.dirty_count(), 2u);
  CAF_CHECK(table.find(peer_name(0)).durable);
  CAF_CHECK(!table.find(late).durable);
  CAF_CHECK(!table.find("new").durable);
  while (table.commit_slice(2)) {
    // nop
  }
  CAF_CHECK_EQUAL(table.dirty_count(), 2u);
  auto next = table.snapshot();
  CAF_CHECK(peers_of(next.batch) == (std::vector<std::string>{late, "new"})
            || peers_of(next.batch) == (std::vector<std::string>{"new", late}));
  table.commit(next.version);
  CAF_CHECK(table.clean());
}

CAF_TEST(
    a committed delete is gone at once and a set during clearing revives it) {
  set("a", id(1));
  set("b", id(1));
  table.commit(table.snapshot().version);
  table.erase("a");
  table.erase("b");
  set("c", id(1));
  auto v = table.freeze();
  std::vector<write_op> ops;
  CAF_CHECK(!table.next_piece(10, ops));
  CAF_CHECK_EQUAL(ops.size(), 3u);
  table.begin_commit(v);
  CAF_CHECK(table.clean());
  CAF_CHECK_EQUAL(table.size(), 1u);
  CAF_CHECK(table.find("a").value == nullptr);
  CAF_CHECK(visible() == (std::map<std::string, std::string>{{"c", "1-0"}}));
  // Before the clearing reaches them: a set brings "a" back (dirty), a
  // delete of "b" again changes nothing that matters (it is gone).
  CAF_CHECK(set("a", id(2)) == set_outcome::changed);
  CAF_CHECK(table.erase("b") != erase_outcome::erased);
  CAF_CHECK_EQUAL(table.size(), 2u);
  CAF_CHECK(!table.find("a").durable);
  while (table.commit_slice(1)) {
    // nop
  }
  CAF_CHECK_EQUAL(table.size(), 2u);
  CAF_CHECK(table.find("c").durable);
  auto next = table.snapshot();
  table.commit(next.version);
  CAF_CHECK(table.clean());
  CAF_CHECK(
      visible()
      == (std::map<std::string, std::string>{{"a", "2-0"}, {"c", "1-0"}}));
}

CAF_TEST(a freeze before the clearing ended takes what is still dirty) {
  for (size_t i = 0; i < 20; ++i)
    set(peer_name(i), id(1));
  auto v = table.freeze();
  pieces(table, 7, [](size_t) {});
  table.begin_commit(v);
  CAF_CHECK(table.commit_slice(5)); // 15 marks left to clear
  set(peer_name(19), id(2));
  set(peer_name(0), id(2));
  CAF_CHECK_EQUAL(table.dirty_count(), 2u);
  auto next = table.snapshot();
  CAF_CHECK_EQUAL(next.batch.ops.size(), 2u);
  table.commit(next.version);
  CAF_CHECK(table.clean());
  CAF_CHECK_EQUAL(table.size(), 20u);
  CAF_CHECK(!table.commit_slice(100));
}

CAF_TEST(marked peers are listed in order within a range and a count) {
  for (auto p : {"d", "b", "f", "a", "e", "c"})
    set(p, id(1));
  auto v = table.freeze();
  pieces(table, 100, [](size_t) {});
  table.begin_commit(v);
  table.commit_slice(100); // every mark cleared
  set("c", id(2));
  set("e", id(2));
  table.erase("a");
  set("g", id(1));
  auto marked = [&](const std::string& after, const std::string* bound,
                    size_t max, bool& more) {
    std::string out;
    more = table.for_each_marked_in(after, bound, max,
                                    [&](const std::string& p) { out += p; });
    return out;
  };
  bool more = false;
  // The index is built on demand, a slice of buckets at a time.
  CAF_CHECK(!table.order_ready());
  table.hold_order();
  for (int n = 0; !table.build_order(1); ++n)
    CAF_REQUIRE(n < 1000);
  CAF_CHECK(table.order_ready());
  CAF_CHECK_EQUAL(marked("", nullptr, 10, more), "aceg");
  CAF_CHECK(!more);
  CAF_CHECK_EQUAL(marked("a", nullptr, 2, more), "ce");
  CAF_CHECK(more);
  std::string bound = "e";
  CAF_CHECK_EQUAL(marked("b", &bound, 10, more), "ce");
  CAF_CHECK(!more);
  CAF_CHECK_EQUAL(marked("b", &bound, 1, more), "c");
  CAF_CHECK(more);
  // Committed marks stay listed until they are cleared.
  v = table.freeze();
  pieces(table, 100, [](size_t) {});
  table.begin_commit(v);
  CAF_CHECK(table.clean());
  CAF_CHECK_EQUAL(marked("", nullptr, 10, more), "aceg");
  table.commit_slice(100);
  CAF_CHECK_EQUAL(marked("", nullptr, 10, more), "");
  // Marks made while it is held go in at once.
  set("b", id(3));
  CAF_CHECK_EQUAL(marked("", nullptr, 10, more), "b");
  // Released and small: kept until a commit slice drops it (the pages of a
  // listing share it); then a set no longer pays for it, and the next build
  // finds the marks made meanwhile.
  table.release_order();
  CAF_CHECK(table.order_ready());
  table.commit_slice(1);
  CAF_CHECK(!table.order_ready());
  set("d", id(3));
  table.hold_order();
  for (int n = 0; !table.build_order(1); ++n)
    CAF_REQUIRE(n < 1000);
  CAF_CHECK_EQUAL(marked("", nullptr, 10, more), "bd");
  table.release_order();
}

CAF_TEST(a large index is built in slices across a rehash and sets) {
  // More marks than a chunk: the build scans the marks' buckets a slice at
  // a time; sets between slices (enough to rehash the marks) and a commit
  // of some marks change nothing in the result.
  auto n = cursor_table::chunk_size + 500;
  for (size_t i = 0; i < n; ++i)
    set(peer_name(i), id(1));
  table.hold_order();
  CAF_CHECK(!table.build_order(16));
  size_t slices = 1;
  size_t extra = 0;
  while (!table.build_order(16)) {
    CAF_REQUIRE(++slices < 100000);
    if (slices % 50 == 0)
      for (int k = 0; k < 400; ++k)
        set(peer_name(n + extra++), id(1));
  }
  std::set<std::string> want;
  table.for_each_dirty(
      [&](const std::string& p, const cursor_value&, bool) { want.insert(p); });
  std::vector<std::string> got;
  bool more = table.for_each_marked_in(
      "", nullptr, 1000000, [&](const std::string& p) { got.push_back(p); });
  CAF_CHECK(!more);
  CAF_CHECK(extra > 0);
  CAF_CHECK_EQUAL(got.size(), n + extra);
  CAF_CHECK(std::vector<std::string>(want.begin(), want.end()) == got);
  table.release_order();
}

CAF_TEST(a held index outlives its size and a released large one waits) {
  // Released while larger than a chunk: kept (dropping it would be one
  // long call) until commit slices make it small.
  auto n = cursor_table::chunk_size + 10;
  table.hold_order();
  CAF_REQUIRE(table.build_order(1000));
  for (size_t i = 0; i < n; ++i)
    set(peer_name(i), id(1));
  table.release_order();
  CAF_CHECK(table.order_ready());
  auto v = table.freeze();
  pieces(table, n, [](size_t) {});
  table.begin_commit(v);
  table.commit_slice(5);
  CAF_CHECK(table.order_ready());
  table.commit_slice(n);
  CAF_CHECK(!table.order_ready());
}

CAF_TEST(random rounds in pieces lose nothing and never write an old value) {
  // A model: `memory` is what the table must show, `disk` what committed
  // rounds wrote. Rounds are frozen, sent in pieces, committed or failed and
  // cleared in slices, with sets and deletes between any two steps.
  std::mt19937_64 rng{18};
  std::map<std::string, uint64_t> memory;
  std::map<std::string, uint64_t> disk;
  std::map<std::string, uint64_t> high; // the highest value written per peer
  uint64_t clock = 1;
  std::optional<uint64_t> frozen;
  std::vector<write_op> sent;
  bool more = false;
  bool held = false;
  auto commit_sent = [&] {
    for (auto& op : sent) {
      if (op.erase) {
        disk.erase(op.peer);
        continue;
      }
      auto x = stream_id::parse(op.stream_id);
      CAF_REQUIRE(static_cast<bool>(x));
      disk[op.peer] = x->ms;
      // Values only grow here (no forced set): a write never goes back.
      CAF_CHECK(x->ms >= high[op.peer]);
      high[op.peer] = x->ms;
    }
  };
  for (int step = 0; step < 20000; ++step) {
    auto peer = "p" + std::to_string(rng() % 40);
    switch (rng() % 9) {
      case 0:
      case 1:
      case 2:
        set(peer, id(++clock));
        memory[peer] = clock;
        break;
      case 3:
        table.erase(peer);
        memory.erase(peer);
        break;
      case 4: // a new attempt (a retry or the next round)
        frozen = table.freeze();
        sent.clear();
        more = true;
        break;
      case 5:
        if (frozen && more)
          more = table.next_piece(1 + rng() % 5, sent);
        break;
      case 6: // the writer commits a fully sent attempt
        if (frozen && !more) {
          commit_sent();
          table.begin_commit(*frozen);
          frozen.reset();
        }
        break;
      case 7: // the attempt fails: the writer drops its pieces
        frozen.reset();
        break;
      default:
        table.commit_slice(1 + rng() % 5);
    }
    // Memory shows the model; a peer reading as durable holds on disk what
    // memory shows; a clean table is the disk. One check per step (the
    // suite prints every check).
    std::string wrong;
    if (table.size() != memory.size())
      wrong = "size";
    for (auto& [p, ms] : memory) {
      auto x = table.find(p);
      if (x.value == nullptr || x.value->id.ms != ms)
        wrong += " value of " + p;
      else if (x.durable && (disk.count(p) == 0 || disk[p] != ms))
        wrong += " durable " + p;
    }
    if (table.clean() && disk != memory)
      wrong += " clean but not on disk";
    // The ordered marks (what the paged list's overlay reads), once built:
    // in byte order, and a peer without a mark holds on disk exactly what
    // memory shows (or is on neither).
    if (step % 500 == 0) {
      if (held)
        table.release_order();
      else
        table.hold_order();
      held = !held;
    }
    if (held)
      table.build_order(1 + rng() % 4);
    if (!table.order_ready()) {
      CHECK_MSG(wrong.empty(), "step " << step << ":" << wrong);
      continue;
    }
    std::vector<std::string> marked;
    table.for_each_marked_in(
        "", nullptr, 1000, [&](const std::string& p) { marked.push_back(p); });
    if (!std::is_sorted(marked.begin(), marked.end())
        || std::adjacent_find(marked.begin(), marked.end()) != marked.end())
      wrong += " marks out of order";
    for (size_t k = 0; k < 40; ++k) {
      auto p = "p" + std::to_string(k);
      if (std::binary_search(marked.begin(), marked.end(), p))
        continue;
      auto m = memory.find(p);
      auto d = disk.find(p);
      if ((m == memory.end()) != (d == disk.end())
          || (m != memory.end() && m->second != d->second))
        wrong += " unmarked " + p + " differs from disk";
    }
    CHECK_MSG(wrong.empty(), "step " << step << ":" << wrong);
  }
  // Quiesce: one whole round commits everything.
  frozen = table.freeze();
  sent.clear();
  while (table.next_piece(3, sent)) {
    // nop
  }
  commit_sent();
  table.commit(*frozen);
  CAF_CHECK(table.clean());
  CAF_CHECK(disk == memory);
}

CAF_TEST_FIXTURE_SCOPE_END()
