// The target check (app/tailer/target_check.hpp) without processes: one test
// per row of the model in docs/TAILER.md ("The target", T1-T10), the
// start-up rules, then a randomized test: a model of a Redis 7.0 target
// stream that the tailer writes while other clients add, delete, trim,
// rewrite counters, flush and roll back; the check must find every change
// it did not make, name it by its kind, and never flag the tailer's own.

#define CAF_SUITE tailer_target_check

#include "tailer/target_check.hpp"

#include <map>
#include <random>
#include <string>

#include <caf/test/unit_test.hpp>

using cursor::stream_id;
using namespace cursor::tailer;

namespace {

stream_id id(uint64_t ms) {
  return stream_id{ms, 0};
}

// A target stream as Redis 7.0 keeps it.
struct model_target {
  bool exists = false;
  bool wrong_type = false;
  uint64_t last = 0;
  uint64_t added = 0;
  stream_id max_deleted;
  std::map<uint64_t, std::string> entries;

  void xadd(uint64_t x, std::string fields = "f") {
    exists = true;
    entries[x] = std::move(fields);
    last = x;
    ++added;
  }
  void xdel(uint64_t x) {
    if (entries.erase(x) > 0 && max_deleted < id(x))
      max_deleted = id(x);
  }
  void trim(size_t n) {
    while (entries.size() > n)
      entries.erase(entries.begin());
  }
  void del() { *this = model_target{}; }

  target_observation observe() const {
    target_observation x;
    x.wrong_type = wrong_type;
    x.state.exists = exists;
    if (!exists)
      return x;
    x.state.last_id = id(last);
    x.state.entries_added = added;
    x.state.length = entries.size();
    x.state.max_deleted = max_deleted;
    if (!entries.empty()) {
      x.last_entry = id(entries.rbegin()->first);
      x.last_entry_fields = entries.rbegin()->second;
    }
    return x;
  }
};

// The tailer writes `k` entries after `m.last`, as its writer does.
target_state tailer_writes(model_target& m, const target_state& expected,
                           uint64_t k, uint64_t skipped = 0) {
  for (uint64_t i = 0; i < k; ++i)
    m.xadd(m.last + 1);
  if (m.exists)
    m.max_deleted = stream_id{0, skipped};
  return after_apply(expected, k, id(m.last), skipped);
}

target_fault fault_of(const target_state& expected, const model_target& m) {
  return check_target(expected, m.observe()).fault;
}

} // namespace

CAF_TEST(the tailer writes keep the target as expected) {
  model_target m;
  target_state e;
  CAF_CHECK(!check_target(e, m.observe()));
  e = tailer_writes(m, e, 3);
  CAF_CHECK(!check_target(e, m.observe()));
  CAF_CHECK_EQUAL(e.entries_added, 3u);
  CAF_CHECK_EQUAL(e.length, 3u);
  CAF_CHECK_EQUAL(e.last_id, id(3));
  // S recorded after a gap stepped over.
  e = tailer_writes(m, e, 2, 7);
  CAF_CHECK(!check_target(e, m.observe()));
  CAF_CHECK_EQUAL(e.skipped(), 7u);
}

CAF_TEST(T1 another writer is foreign) {
  model_target m;
  auto e = tailer_writes(m, target_state{}, 5);
  m.xadd(9);
  auto v = check_target(e, m.observe());
  CAF_CHECK(v.fault == target_fault::foreign);
  CAF_CHECK_NOT_EQUAL(v.text.find("another writer"), std::string::npos);
  // Even when it deleted its entry again (XDEL leaves entries-added).
  model_target n;
  auto f = tailer_writes(n, target_state{}, 5);
  n.xadd(9);
  n.xdel(9);
  CAF_CHECK(fault_of(f, n) == target_fault::foreign);
}

CAF_TEST(T2 and T3 removed entries are found) {
  model_target m;
  auto e = tailer_writes(m, target_state{}, 5);
  m.xdel(2);
  auto v = check_target(e, m.observe());
  CAF_CHECK(v.fault == target_fault::removed);
  CAF_CHECK_NOT_EQUAL(v.text.find("XDEL, XTRIM"), std::string::npos);
  model_target t;
  auto f = tailer_writes(t, target_state{}, 5);
  t.trim(2);
  CAF_CHECK(fault_of(f, t) == target_fault::removed);
  // The last entry deleted: length and max-deleted-entry-id both show it.
  model_target l;
  auto g = tailer_writes(l, target_state{}, 5);
  l.xdel(5);
  CAF_CHECK(fault_of(g, l) == target_fault::removed);
}

CAF_TEST(T4 a deleted or flushed target is behind) {
  model_target m;
  auto e = tailer_writes(m, target_state{}, 5);
  m.del();
  auto v = check_target(e, m.observe());
  CAF_CHECK(v.fault == target_fault::behind);
  CAF_CHECK_NOT_EQUAL(v.text.find("does not exist"), std::string::npos);
}

CAF_TEST(T5 a target recreated by another writer is foreign or behind) {
  model_target m;
  auto e = tailer_writes(m, target_state{}, 5);
  m.del();
  m.xadd(100);
  CAF_CHECK(fault_of(e, m) == target_fault::foreign);
  model_target n;
  auto f = tailer_writes(n, target_state{}, 5);
  n.del();
  n.xadd(2);
  CAF_CHECK(fault_of(f, n) == target_fault::behind);
  // A stream created before the tailer wrote anything.
  model_target c;
  c.xadd(1);
  CAF_CHECK(fault_of(target_state{}, c) == target_fault::foreign);
}

CAF_TEST(T6 XSETID on the target is foreign) {
  auto run = [](auto change) {
    model_target m;
    auto e = tailer_writes(m, target_state{}, 5);
    change(m);
    return fault_of(e, m);
  };
  CAF_CHECK(run([](model_target& m) { m.last = 50; }) == target_fault::foreign);
  CAF_CHECK(run([](model_target& m) { m.added = 9; }) == target_fault::foreign);
  CAF_CHECK(run([](model_target& m) {
              m.max_deleted = stream_id{0, 3};
            })
            == target_fault::foreign);
}

CAF_TEST(T7 a target rolled back is behind while running) {
  model_target m;
  auto e = tailer_writes(m, target_state{}, 5);
  auto old = m;
  e = tailer_writes(m, e, 3);
  auto v = check_target(e, old.observe());
  CAF_CHECK(v.fault == target_fault::behind);
  CAF_CHECK_NOT_EQUAL(v.text.find("went back"), std::string::npos);
  // At start-up the same target is taken when it ends at or beyond the
  // cursor: the entries after its end are read again from the source.
  auto r = resume_target(old.observe(), id(4));
  CAF_CHECK(!r.verdict);
  CAF_CHECK_EQUAL(r.position.safe, id(5));
  CAF_CHECK_EQUAL(*r.position.counter, 5u);
  // Not when it ends before the cursor.
  CAF_CHECK(resume_target(old.observe(), id(7)).verdict.fault
            == target_fault::behind);
}

CAF_TEST(T8 another type is foreign) {
  model_target m;
  auto e = tailer_writes(m, target_state{}, 2);
  m.wrong_type = true;
  CAF_CHECK(fault_of(e, m) == target_fault::foreign);
  CAF_CHECK(resume_target(m.observe(), id(0)).verdict.fault
            == target_fault::foreign);
}

CAF_TEST(T10 at start up a target changed while the tailer was down) {
  // Intact: its last entry, K = n + S and the entry's fields.
  model_target m;
  auto e = tailer_writes(m, target_state{}, 5, 2);
  m.entries[5] = "fields of 5";
  auto r = resume_target(m.observe(), id(3));
  CAF_REQUIRE(!r.verdict);
  CAF_CHECK(r.expected == e);
  CAF_CHECK_EQUAL(r.position.safe, id(5));
  CAF_CHECK_EQUAL(*r.position.counter, 7u);
  CAF_CHECK_EQUAL(*r.position.anchor, "fields of 5");
  // Trimmed or an entry deleted: removed.
  auto trimmed = m;
  trimmed.trim(3);
  CAF_CHECK(resume_target(trimmed.observe(), id(3)).verdict.fault
            == target_fault::removed);
  auto deleted = m;
  deleted.xdel(2);
  CAF_CHECK(resume_target(deleted.observe(), id(3)).verdict.fault
            == target_fault::removed);
  // Deleted: behind, unless nothing was ever applied.
  CAF_CHECK(resume_target(model_target{}.observe(), id(3)).verdict.fault
            == target_fault::behind);
  auto fresh = resume_target(model_target{}.observe(), stream_id{});
  CAF_CHECK(!fresh.verdict);
  CAF_CHECK_EQUAL(*fresh.position.counter, 0u);
  // XSETID moving the last ID beyond the last entry: foreign.
  auto moved = m;
  moved.last = 9;
  CAF_CHECK(resume_target(moved.observe(), id(3)).verdict.fault
            == target_fault::foreign);
  // Another writer's XADD leaves consistent counters: taken here; the
  // source check finds that the target's last entry is not the source's.
  auto foreign = m;
  foreign.xadd(6, "foreign");
  auto f = resume_target(foreign.observe(), id(3));
  CAF_CHECK(!f.verdict);
  CAF_CHECK_EQUAL(*f.position.anchor, "foreign");
  // A target written by an older tailer (no XSETID): S = 0.
  model_target legacy;
  for (uint64_t x = 1; x <= 4; ++x)
    legacy.xadd(x);
  auto l = resume_target(legacy.observe(), id(4));
  CAF_CHECK(!l.verdict);
  CAF_CHECK_EQUAL(*l.position.counter, 4u);
}

CAF_TEST(a target without the Redis 7 counters cannot be checked) {
  model_target m;
  auto e = tailer_writes(m, target_state{}, 2);
  auto seen = m.observe();
  seen.has_counters = false;
  CAF_CHECK(check_target(e, seen).fault == target_fault::no_counters);
  CAF_CHECK(resume_target(seen, id(2)).verdict.fault
            == target_fault::no_counters);
}

CAF_TEST(random foreign changes are always found and named by their kind) {
  std::mt19937_64 rng{16};
  size_t found = 0;
  std::map<target_fault, size_t> kinds;
  for (int run = 0; run < 3000; ++run) {
    model_target m;
    target_state e;
    // The tailer writes a few batches; the check holds after each.
    for (int b = 0, n = static_cast<int>(rng() % 4); b < n; ++b) {
      e = tailer_writes(m, e, rng() % 4, rng() % 3 == 0 ? rng() % 5 : 0);
      CAF_CHECK(!check_target(e, m.observe()));
    }
    auto before = m;
    // One change by someone else.
    auto kind = target_fault::none;
    switch (rng() % 7) {
      case 0:
        m.xadd(m.last + 1 + rng() % 3);
        kind = target_fault::foreign;
        break;
      case 1:
        if (!m.entries.empty()) {
          auto i = m.entries.begin();
          std::advance(i, static_cast<long>(rng() % m.entries.size()));
          m.xdel(i->first);
          kind = target_fault::removed;
        }
        break;
      case 2:
        if (!m.entries.empty()) {
          m.trim(rng() % m.entries.size());
          kind = target_fault::removed;
        }
        break;
      case 3:
        if (m.exists) {
          m.del();
          kind = target_fault::behind;
        }
        break;
      case 4:
        if (m.exists) {
          m.added += 1 + rng() % 3;
          kind = target_fault::foreign;
        }
        break;
      case 5:
        if (m.exists) {
          m.last += 1 + rng() % 3;
          kind = target_fault::foreign;
        }
        break;
      default: {
        // Rolled back to before the tailer's last batch.
        model_target old;
        auto n = m.added > 0 ? rng() % m.added : 0;
        for (uint64_t x = 1; x <= n; ++x)
          old.xadd(x);
        if (n < m.added) {
          m = old;
          kind = target_fault::behind;
        }
      }
    }
    auto v = check_target(e, m.observe());
    if (kind == target_fault::none) {
      CAF_CHECK(!v);
      continue;
    }
    CAF_CHECK(v);
    CAF_CHECK(v.fault == kind);
    if (v.fault != kind)
      CAF_MESSAGE("run " << run << ": expected " << static_cast<int>(kind)
                         << " got " << static_cast<int>(v.fault) << ": "
                         << v.text);
    ++found;
    ++kinds[v.fault];
  }
  CAF_MESSAGE(found << " changes found: " << kinds[target_fault::foreign]
                    << " foreign, " << kinds[target_fault::removed]
                    << " removed, " << kinds[target_fault::behind]
                    << " behind");
  CAF_CHECK(found > 1500);
}
