// The source check (app/tailer/source_check.hpp) without processes: one test
// per row of the model in docs/TAILER.md ("The source", S1-S15), then a
// randomized test against a model of Redis 7.0 streams that knows the truth
// (every entry each incarnation of the stream ever had) and checks that the
// tailer never copies on when it should not, and only refuses what Redis
// cannot tell apart.

#define CAF_SUITE tailer_source_check

#include "tailer/source_check.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include <caf/test/unit_test.hpp>

using cursor::stream_id;
using namespace cursor::tailer;

namespace {

stream_id id(uint64_t ms) {
  return stream_id{ms, 0};
}

// A Redis 7.0 stream with IDs x-0, as far as the check sees it, plus the
// truth: every entry this incarnation ever had (a failover inherits them).
struct model_stream {
  bool exists = true;
  uint64_t added = 0;
  uint64_t last = 0;
  uint64_t max_deleted = 0;
  std::map<uint64_t, std::string> present;
  std::vector<std::pair<uint64_t, std::string>> history;
  uint64_t next_fields = 0;

  // XADD <x>-0 with fresh fields (never equal to another entry's).
  void add_at(uint64_t x) {
    auto fields = "f" + std::to_string(++next_fields);
    add_at(x, fields);
  }
  void add_at(uint64_t x, const std::string& fields) {
    present[x] = fields;
    history.emplace_back(x, fields);
    ++added;
    last = x;
  }
  void add(uint64_t k) {
    for (uint64_t i = 0; i < k; ++i)
      add_at(last + 1);
  }
  void xdel(uint64_t x) {
    if (present.erase(x) > 0)
      max_deleted = std::max(max_deleted, x);
  }
  void trim_maxlen(size_t n) {
    while (present.size() > n)
      present.erase(present.begin());
  }
  void trim_minid(uint64_t x) {
    while (!present.empty() && present.begin()->first < x)
      present.erase(present.begin());
  }
  // DEL: the next XADD starts a new incarnation.
  void recreate() {
    auto fields = next_fields;
    *this = model_stream{};
    next_fields = fields;
  }

  // The snapshot a read of `count` entries after `after` gets, with the
  // check's position `safe`.
  source_snapshot snapshot(uint64_t after, stream_id safe, size_t count) const {
    source_snapshot s;
    s.last_generated = id(last);
    s.max_deleted = id(max_deleted);
    if (!present.empty())
      s.first_entry = id(present.begin()->first);
    s.length = present.size();
    s.entries_added = added;
    if (auto i = present.find(safe.ms); i != present.end() && safe.seq == 0)
      s.at_safe = i->second;
    size_t n = 0;
    for (auto i = present.upper_bound(after); i != present.end() && n < count;
         ++i, ++n) {
      if (safe < id(i->first))
        ++s.returned_after_safe;
      s.last_returned = id(i->first);
      s.last_returned_fields = i->second;
    }
    s.complete = n < count;
    return s;
  }

  // K of the truth: entries this incarnation ever had up to `x`.
  uint64_t counter_at(uint64_t x) const {
    return static_cast<uint64_t>(
        std::count_if(history.begin(), history.end(),
                      [x](const auto& h) { return h.first <= x; }));
  }
};

// The position of a tailer that copied `m` up to `x` (all of it there).
source_position copied_up_to(const model_stream& m, uint64_t x) {
  source_position pos;
  pos.safe = id(x);
  pos.counter = m.counter_at(x);
  if (auto i = m.present.find(x); i != m.present.end())
    pos.anchor = i->second;
  return pos;
}

source_verdict check(const model_stream& m, const source_position& pos,
                     size_t count = 100) {
  return check_source(pos, m.snapshot(pos.safe.ms, pos.safe, count));
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

} // namespace

CAF_TEST(S1 new entries are copied on and the counter follows the reads) {
  model_stream m;
  m.add(10);
  source_position pos{stream_id{}, 0, std::nullopt};
  auto snap = m.snapshot(0, pos.safe, 4);
  auto v = check_source(pos, snap);
  CAF_CHECK(!v);
  pos = advance(pos, snap, v);
  CAF_CHECK_EQUAL(pos.safe, id(4));
  CAF_REQUIRE(pos.counter);
  CAF_CHECK_EQUAL(*pos.counter, 4u);
  CAF_REQUIRE(pos.anchor);
  CAF_CHECK_EQUAL(*pos.anchor, m.present.at(4));
  snap = m.snapshot(4, pos.safe, 100);
  v = check_source(pos, snap);
  CAF_CHECK(!v);
  pos = advance(pos, snap, v);
  CAF_CHECK_EQUAL(pos.safe, id(10));
  CAF_CHECK_EQUAL(*pos.counter, 10u);
}

CAF_TEST(S2 an XDEL at or below the position is copied on) {
  model_stream m;
  m.add(10);
  auto pos = copied_up_to(m, 5);
  m.xdel(3);
  CAF_CHECK(!check(m, pos));
  // The entry at the position itself: gone, but XDEL says so.
  m.xdel(5);
  CAF_CHECK(!check(m, pos));
}

CAF_TEST(S3 an XDEL after the position is a gap) {
  model_stream m;
  m.add(10);
  auto pos = copied_up_to(m, 5);
  m.xdel(7);
  auto snap = m.snapshot(5, pos.safe, 100);
  auto v = check_source(pos, snap);
  CAF_CHECK_EQUAL(v.kind, source_verdict::deleted);
  CAF_CHECK(contains(describe(pos, snap, v), "max-deleted-entry-id is 7-0"));
}

CAF_TEST(S4 a trim of entries up to the position only is copied on) {
  model_stream m;
  m.add(10);
  auto pos = copied_up_to(m, 5);
  m.trim_maxlen(7); // 4..10 left
  CAF_CHECK(!check(m, pos));
  m.trim_minid(5); // 5..10 left
  CAF_CHECK(!check(m, pos));
}

CAF_TEST(
    S5 a trim that ends exactly at the position is refused once entries come) {
  model_stream m;
  m.add(10);
  auto pos = copied_up_to(m, 10);
  m.trim_maxlen(0);
  // Nothing after the position yet: nothing to copy, nothing to refuse.
  CAF_CHECK(!check(m, pos));
  m.add(3);
  auto snap = m.snapshot(10, pos.safe, 100);
  auto v = check_source(pos, snap);
  CAF_CHECK_EQUAL(v.kind, source_verdict::ambiguous);
  CAF_CHECK(contains(describe(pos, snap, v), "Redis cannot tell"));
  // With allow-gaps it is taken as the trim: the counter stays exact.
  pos = advance(pos, snap, v);
  CAF_CHECK_EQUAL(pos.safe, id(13));
  CAF_CHECK_EQUAL(*pos.counter, 13u);
  // MINID at the entry after the position does the same.
  model_stream n;
  n.add(10);
  auto p2 = copied_up_to(n, 6);
  n.trim_minid(7);
  CAF_CHECK_EQUAL(check(n, p2).kind, source_verdict::ambiguous);
}

CAF_TEST(S6 a trim beyond the position is a gap of exactly the entries lost) {
  model_stream m;
  m.add(10);
  auto pos = copied_up_to(m, 5);
  m.trim_maxlen(3); // 8, 9, 10 left; 6 and 7 were never read
  auto snap = m.snapshot(5, pos.safe, 100);
  auto v = check_source(pos, snap);
  CAF_CHECK_EQUAL(v.kind, source_verdict::trimmed);
  CAF_CHECK_EQUAL(v.lost, 2u);
  auto text = describe(pos, snap, v);
  CAF_CHECK(contains(text, "2 entries after position 5-0 were trimmed"));
  CAF_CHECK(contains(text, "first entry is now 8-0"));
  // Stepping over it (allow-gaps), the counter stays exact.
  pos = advance(pos, snap, v);
  CAF_CHECK_EQUAL(pos.safe, id(10));
  CAF_CHECK_EQUAL(*pos.counter, 10u);
  // Emptied: the three after the position are lost.
  model_stream e;
  e.add(10);
  e.trim_maxlen(0);
  auto v2 = check(e, copied_up_to(model_stream{e}, 7));
  CAF_CHECK_EQUAL(v2.kind, source_verdict::trimmed);
  CAF_CHECK_EQUAL(v2.lost, 3u);
}

CAF_TEST(S8 a stream recreated below the position is behind) {
  model_stream m;
  m.add(10);
  auto pos = copied_up_to(m, 10);
  m.recreate();
  m.add(4);
  auto snap = m.snapshot(10, pos.safe, 100);
  auto v = check_source(pos, snap);
  CAF_CHECK_EQUAL(v.kind, source_verdict::behind);
  CAF_CHECK(contains(describe(pos, snap, v), "ends at 4-0"));
}

CAF_TEST(S9 a stream recreated above the position is never copied on) {
  // The case: 100 copied, 50 more added, DEL, 200 new above.
  model_stream m;
  m.add(100);
  auto pos = copied_up_to(m, 100);
  m.add(50);
  m.recreate();
  for (uint64_t x = 1000; x < 1200; ++x)
    m.add_at(x);
  auto snap = m.snapshot(100, pos.safe, 100);
  auto v = check_source(pos, snap);
  CAF_CHECK_EQUAL(v.kind, source_verdict::replaced);
  CAF_CHECK_EQUAL(v.evidence, source_verdict::too_few_removed);
  CAF_CHECK(contains(describe(pos, snap, v), "fewer than the 100"));
  // The new stream had more than K entries trimmed: a gap (entries lost).
  m.trim_maxlen(50);
  CAF_CHECK_EQUAL(check(m, pos).kind, source_verdict::trimmed);
  // Exactly K removed: Redis shows S5; refused.
  model_stream r;
  r.add(100);
  auto p2 = copied_up_to(r, 100);
  r.recreate();
  for (uint64_t x = 1000; x < 1150; ++x)
    r.add_at(x);
  r.trim_maxlen(50);
  CAF_CHECK_EQUAL(check(r, p2).kind, source_verdict::ambiguous);
}

CAF_TEST(S10 a stream recreated across the position is never copied on) {
  model_stream m;
  m.add(100);
  auto pos = copied_up_to(m, 60);
  // Lower IDs, reaching past the position, no entry 60-0.
  m.recreate();
  for (uint64_t x = 1; x < 200; x += 2)
    m.add_at(x * 1);
  m.xdel(1); // an XDEL below the position does not explain 60-0
  auto snap = m.snapshot(60, pos.safe, 10);
  auto v = check_source(pos, snap);
  CAF_CHECK_EQUAL(v.kind, source_verdict::replaced);
  CAF_CHECK_EQUAL(v.evidence, source_verdict::anchor_missing);
  // Equal IDs: an entry 60-0 with other fields.
  model_stream e;
  e.add(100);
  auto p2 = copied_up_to(e, 60);
  e.recreate();
  e.add(100);
  CAF_CHECK_EQUAL(check(e, p2, 10).evidence, source_verdict::anchor_differs);
  // The same entry 120-0 (a replay) but another count before it: found
  // once a read returns every entry after the position.
  model_stream s;
  for (uint64_t x = 2; x <= 200; x += 2)
    s.add_at(x);
  auto p3 = copied_up_to(s, 120);
  auto fields = s.present.at(120);
  s.recreate();
  for (uint64_t x = 1; x < 120; ++x)
    s.add_at(x);
  s.add_at(120, fields);
  s.add(20);
  CAF_CHECK(!check(s, p3, 10)); // a partial read cannot count
  auto full = check(s, p3, 100);
  CAF_CHECK_EQUAL(full.kind, source_verdict::replaced);
  CAF_CHECK_EQUAL(full.evidence, source_verdict::count_mismatch);
  // A faithful replay (same entries, same IDs) is the same stream.
  model_stream f;
  f.add(100);
  auto p4 = copied_up_to(f, 60);
  auto old = f.history;
  f.recreate();
  for (auto& [x, fs] : old)
    f.add_at(x, fs);
  CAF_CHECK(!check(f, p4, 100));
}

CAF_TEST(S11 to S14 XSETID is harmless or refused) {
  model_stream m;
  m.add(10);
  auto pos = copied_up_to(m, 10);
  // S11: the last ID moved up.
  m.last = 50;
  CAF_CHECK(!check(m, pos));
  // S12: moved below the position (after deleting the entries above).
  model_stream b;
  b.add(10);
  auto p2 = copied_up_to(b, 8);
  b.xdel(10);
  b.xdel(9);
  b.xdel(8);
  b.last = 7;
  b.max_deleted = 0; // XSETID MAXDELETEDID can lower it too
  CAF_CHECK_EQUAL(check(b, p2).kind, source_verdict::behind);
  // S13: ENTRIESADDED rewritten; found by a read that gets every entry.
  model_stream c;
  c.add(10);
  auto p3 = copied_up_to(c, 5);
  c.added = 40;
  CAF_CHECK_EQUAL(check(c, p3).kind, source_verdict::replaced);
  c.added = 3;
  CAF_CHECK_EQUAL(check(c, p3).evidence, source_verdict::counter_below);
  // S14: MAXDELETEDID beyond the position looks like an XDEL gap.
  model_stream d;
  d.add(10);
  auto p4 = copied_up_to(d, 5);
  d.max_deleted = 7;
  CAF_CHECK_EQUAL(check(d, p4).kind, source_verdict::deleted);
}

CAF_TEST(S15 a failover to a replica that lagged is copied on only behind it) {
  model_stream primary;
  primary.add(50);
  auto replica = primary; // lags at 50-0
  primary.add(30);
  // The tailer had read up to 40-0: the replica has it all.
  auto behind = copied_up_to(primary, 40);
  auto before = replica;
  before.add(5); // new writes on the promoted replica, 51-0 .. 55-0
  CAF_CHECK(!check(before, behind));
  // The tailer had read up to 70-0: the replica ends before it ...
  auto ahead = copied_up_to(primary, 70);
  CAF_CHECK_EQUAL(check(replica, ahead).kind, source_verdict::behind);
  // ... and, once written past it with other IDs, its entry 70-0 is gone.
  for (uint64_t x = 65; x < 90; x += 10)
    replica.add_at(x);
  CAF_CHECK_EQUAL(check(replica, ahead).evidence,
                  source_verdict::anchor_missing);
}

CAF_TEST(without the counter a trim past the position cannot be sized) {
  model_stream m;
  m.add(10);
  m.trim_maxlen(5);
  source_position pos{id(5), std::nullopt, std::nullopt};
  auto snap = m.snapshot(5, pos.safe, 100);
  CAF_CHECK_EQUAL(check_source(pos, snap).kind,
                  source_verdict::trimmed_unknown);
  // Nothing removed at all: a first entry beyond the position is fine.
  model_stream fresh;
  fresh.add(3);
  CAF_CHECK(
      !check_source(source_position{}, fresh.snapshot(0, stream_id{}, 100)));
}

CAF_TEST(the counter is derived when a read saw everything after the position) {
  model_stream m;
  m.add(10);
  m.trim_maxlen(8); // 3..10 left
  source_position pos{id(6), std::nullopt, std::nullopt};
  auto snap = m.snapshot(6, pos.safe, 100);
  CAF_CHECK(!check_source(pos, snap));
  pos = advance(pos, snap, check_source(pos, snap));
  CAF_REQUIRE(pos.counter);
  CAF_CHECK_EQUAL(*pos.counter, 10u);
  // A partial read (COUNT reached) does not allow it.
  source_position partial{id(2), std::nullopt, std::nullopt};
  snap = m.snapshot(2, partial.safe, 3);
  CAF_CHECK(!snap.complete);
  CAF_CHECK(!advance(partial, snap, check_source(partial, snap)).counter);
}

CAF_TEST(at start up the position may lie ahead of the read) {
  // Resuming from a cursor at 4-0 with the target ending at 7-0: the read
  // starts after 4-0, the check's position is 7-0.
  model_stream m;
  m.add(10);
  auto pos = copied_up_to(m, 7);
  auto snap = m.snapshot(4, pos.safe, 100);
  CAF_CHECK_EQUAL(snap.returned_after_safe, 3u);
  auto v = check_source(pos, snap);
  CAF_CHECK(!v);
  pos = advance(pos, snap, v);
  CAF_CHECK_EQUAL(pos.safe, id(10));
  CAF_CHECK_EQUAL(*pos.counter, 10u);
}

CAF_TEST(random histories never copy on past what the tailer cannot account for) {
  // A tailer reads a stream in batches while adds, XDELs, trims,
  // recreations (lower, equal, higher IDs, faithful replays) and failovers
  // to a lagging copy happen, and restarts now and then (resuming from
  // what it copied, as from the target). At each read the truth is known:
  // copying on is right iff what the tailer copied is exactly this
  // incarnation's entries up to the position and none after it was removed.
  // The check must flag every read where it is not; where it is, it may
  // only refuse what Redis cannot tell apart (nothing left up to the
  // position). Runs end at the first fault.
  std::mt19937_64 rng{20261205};
  size_t faults = 0;
  size_t ambiguous = 0;
  size_t runs_ended = 0;
  size_t reads = 0;
  std::map<source_verdict::kind_t, size_t> kinds;
  for (int run = 0; run < 2000; ++run) {
    model_stream m;
    std::vector<std::pair<uint64_t, std::string>> copied;
    source_position pos{stream_id{}, 0, std::nullopt};
    model_stream lagging = m;
    size_t count = 1 + rng() % 8;
    for (int step = 0; step < 40; ++step) {
      switch (rng() % 16) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
          m.add(rng() % 5);
          break;
        case 6:
        case 7:
          // Mostly beyond the position, where it is a gap.
          if (m.last > 0)
            m.xdel(rng() % 2 == 0 && pos.safe.ms < m.last
                       ? pos.safe.ms + 1 + rng() % (m.last - pos.safe.ms)
                       : 1 + rng() % m.last);
          break;
        case 8:
          m.trim_maxlen(rng() % 8);
          break;
        case 9:
          if (m.last > 0)
            m.trim_minid(1 + rng() % (m.last + 1));
          break;
        case 10: {
          // DEL, then written again from a lower, an equal or a higher ID,
          // or replayed faithfully.
          auto old = m.history;
          auto last = m.last;
          m.recreate();
          switch (rng() % 4) {
            case 0:
              m.add_at(1 + rng() % (last + 1));
              break;
            case 1:
              if (!old.empty())
                m.add_at(old.front().first);
              break;
            case 2:
              m.add_at(last + 1 + rng() % 3);
              break;
            default:
              for (auto& [x, fs] : old)
                m.add_at(x, fs);
          }
          m.add(rng() % 4);
          break;
        }
        case 11:
          lagging = m;
          break;
        case 12: {
          auto fields = m.next_fields;
          m = lagging;
          m.next_fields = std::max(fields, m.next_fields);
          break;
        }
        case 13:
          // A restart: resume from the target (the last entry copied).
          if (!copied.empty()) {
            pos.safe = id(copied.back().first);
            pos.counter = copied.size();
            pos.anchor = copied.back().second;
          }
          break;
        default:
          break;
      }
      ++reads;
      auto snap = m.snapshot(pos.safe.ms, pos.safe, count);
      // The truth.
      std::vector<std::pair<uint64_t, std::string>> prefix;
      bool lost_after = false;
      for (auto& h : m.history) {
        if (id(h.first) <= pos.safe)
          prefix.push_back(h);
        else if (m.present.count(h.first) == 0)
          lost_after = true;
      }
      bool right = prefix == copied && !lost_after;
      auto v = check_source(pos, snap);
      if (v) {
        ++kinds[v.kind];
        if (right) {
          // Only what Redis cannot tell apart: nothing up to the position
          // is left.
          CAF_CHECK_EQUAL(v.kind, source_verdict::ambiguous);
          CAF_CHECK(!snap.first_entry || pos.safe < *snap.first_entry);
          ++ambiguous;
        } else {
          ++faults;
        }
        ++runs_ended;
        break;
      }
      if (!right) {
        CAF_FAIL("run " << run << " step " << step
                        << ": copied on past a fault at " << pos.safe);
      }
      // Copy what the read returned.
      for (auto i = m.present.upper_bound(pos.safe.ms);
           i != m.present.end()
           && id(i->first) <= snap.last_returned.value_or(pos.safe);
           ++i)
        copied.emplace_back(i->first, i->second);
      pos = advance(pos, snap, v);
      if (pos.counter)
        CAF_CHECK_EQUAL(*pos.counter, m.counter_at(pos.safe.ms));
    }
  }
  CAF_MESSAGE(reads << " reads, " << runs_ended << " runs ended by a fault ("
                    << faults << " real, " << ambiguous << " ambiguous); "
                    << kinds[source_verdict::replaced] << " replaced, "
                    << kinds[source_verdict::behind] << " behind, "
                    << kinds[source_verdict::trimmed] << " trimmed, "
                    << kinds[source_verdict::deleted] << " deleted");
  CAF_CHECK(faults > 300);
  for (auto kind : {source_verdict::replaced, source_verdict::behind,
                    source_verdict::trimmed, source_verdict::deleted})
    CAF_CHECK(kinds[kind] > 50);
}
