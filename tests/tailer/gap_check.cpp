#define CAF_SUITE tailer_gap_check

#include "tailer/gap_check.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <caf/test/unit_test.hpp>

using cursor::stream_id;
using namespace cursor::tailer;

namespace {

stream_id id(uint64_t ms) {
  return stream_id{ms, 0};
}

// A snapshot of a stream whose entries are 1-0 .. n-0 minus `removed`
// (trimmed or deleted), read after `after` with COUNT `count`.
struct model_stream {
  uint64_t added = 0;
  std::set<uint64_t> present;
  uint64_t max_deleted = 0;

  void add(uint64_t k) {
    for (uint64_t i = 0; i < k; ++i)
      present.insert(++added);
  }
  void trim(size_t maxlen) {
    while (present.size() > maxlen)
      present.erase(present.begin());
  }
  void xdel(uint64_t x) {
    if (present.erase(x) > 0)
      max_deleted = std::max(max_deleted, x);
  }

  // The snapshot the reader would get reading `count` entries after
  // `read_pos`, with `safe` the gap check's position.
  stream_snapshot snapshot(uint64_t read_pos, stream_id safe, size_t count,
                           std::vector<uint64_t>& returned) const {
    stream_snapshot s;
    s.last_generated = id(added);
    s.max_deleted = id(max_deleted);
    if (!present.empty())
      s.first_entry = id(*present.begin());
    s.length = present.size();
    s.entries_added = added;
    returned.clear();
    for (auto i = present.upper_bound(read_pos);
         i != present.end() && returned.size() < count; ++i)
      returned.push_back(*i);
    s.complete = returned.size() < count;
    if (!returned.empty())
      s.last_returned = id(returned.back());
    for (auto x : returned)
      if (safe < id(x))
        ++s.returned_after_safe;
    return s;
  }
};

} // namespace

CAF_TEST(an intact stream has no gap and the counter follows the reads) {
  model_stream m;
  m.add(10);
  source_position pos{stream_id{}, 0};
  std::vector<uint64_t> got;
  auto snap = m.snapshot(0, pos.safe, 4, got);
  auto v = check_gap(pos, snap);
  CAF_CHECK(!v);
  pos = advance(pos, snap, v);
  CAF_CHECK_EQUAL(pos.safe, id(4));
  CAF_REQUIRE(pos.counter);
  CAF_CHECK_EQUAL(*pos.counter, 4u);
  snap = m.snapshot(4, pos.safe, 100, got);
  pos = advance(pos, snap, check_gap(pos, snap));
  CAF_CHECK_EQUAL(pos.safe, id(10));
  CAF_CHECK_EQUAL(*pos.counter, 10u);
}

CAF_TEST(an XDEL after the position is a gap and one before it is not ) {
  model_stream m;
  m.add(10);
  std::vector<uint64_t> got;
  source_position pos{id(5), 5};
  m.xdel(3);
  CAF_CHECK(!check_gap(pos, m.snapshot(5, pos.safe, 100, got)));
  m.xdel(7);
  auto v = check_gap(pos, m.snapshot(5, pos.safe, 100, got));
  CAF_CHECK_EQUAL(v.kind, gap_verdict::deleted);
  CAF_CHECK_NOT_EQUAL(describe_gap(pos, m.snapshot(5, pos.safe, 100, got), v)
                          .find("max-deleted-entry-id is 7-0"),
                      std::string::npos);
}

CAF_TEST(a trim past the position is a gap of exactly the entries lost) {
  model_stream m;
  m.add(10);
  m.trim(3); // 8, 9, 10 left; 6 and 7 were never read
  std::vector<uint64_t> got;
  source_position pos{id(5), 5};
  auto snap = m.snapshot(5, pos.safe, 100, got);
  auto v = check_gap(pos, snap);
  CAF_CHECK_EQUAL(v.kind, gap_verdict::trimmed);
  CAF_CHECK_EQUAL(v.lost, 2u);
  auto text = describe_gap(pos, snap, v);
  CAF_CHECK_NOT_EQUAL(text.find("2 entries after position 5-0 were trimmed"),
                      std::string::npos);
  CAF_CHECK_NOT_EQUAL(text.find("first entry is now 8-0"), std::string::npos);
  // Stepping over it (allow-gaps), the counter stays exact.
  pos = advance(pos, snap, v);
  CAF_CHECK_EQUAL(pos.safe, id(10));
  CAF_CHECK_EQUAL(*pos.counter, 10u);
}

CAF_TEST(a trim that ends exactly at the position is no gap) {
  model_stream m;
  m.add(10);
  m.trim(5); // 6..10 left
  std::vector<uint64_t> got;
  source_position pos{id(5), 5};
  CAF_CHECK(!check_gap(pos, m.snapshot(5, pos.safe, 100, got)));
}

CAF_TEST(without the counter a trim past the position cannot be sized) {
  model_stream m;
  m.add(10);
  m.trim(5);
  std::vector<uint64_t> got;
  source_position pos{id(5), std::nullopt};
  auto snap = m.snapshot(5, pos.safe, 100, got);
  CAF_CHECK_EQUAL(check_gap(pos, snap).kind, gap_verdict::trimmed_unknown);
  // Nothing removed at all: the first entry beyond the position is fine.
  model_stream fresh;
  fresh.add(3);
  CAF_CHECK(!check_gap(source_position{stream_id{}, std::nullopt},
                       fresh.snapshot(0, stream_id{}, 100, got)));
}

CAF_TEST(the counter is derived when a read saw everything after the position) {
  model_stream m;
  m.add(10);
  m.trim(8); // 3..10 left
  std::vector<uint64_t> got;
  source_position pos{id(6), std::nullopt};
  auto snap = m.snapshot(6, pos.safe, 100, got);
  CAF_CHECK(!check_gap(pos, snap));
  pos = advance(pos, snap, check_gap(pos, snap));
  CAF_REQUIRE(pos.counter);
  CAF_CHECK_EQUAL(*pos.counter, 10u);
  // A partial read (COUNT reached) does not allow it.
  source_position partial{id(2), std::nullopt};
  m.add(0);
  snap = m.snapshot(2, partial.safe, 3, got);
  CAF_CHECK(!snap.complete);
  CAF_CHECK(!advance(partial, snap, check_gap(partial, snap)).counter);
}

CAF_TEST(an emptied stream is a gap when it had entries after the position) {
  model_stream m;
  m.add(10);
  m.trim(0);
  std::vector<uint64_t> got;
  source_position pos{id(7), 7};
  auto v = check_gap(pos, m.snapshot(7, pos.safe, 100, got));
  CAF_CHECK_EQUAL(v.kind, gap_verdict::trimmed);
  CAF_CHECK_EQUAL(v.lost, 3u);
  source_position end{id(10), 10};
  CAF_CHECK(!check_gap(end, m.snapshot(10, end.safe, 100, got)));
}

CAF_TEST(a stream with fewer entries added than the counter was recreated) {
  model_stream m;
  m.add(3);
  std::vector<uint64_t> got;
  // The tailer had counted 10 entries up to 2-0 of the old stream.
  source_position pos{id(2), 10};
  CAF_CHECK_EQUAL(check_gap(pos, m.snapshot(2, pos.safe, 100, got)).kind,
                  gap_verdict::reset);
}

CAF_TEST(random adds trims and deletes match a model of what was lost) {
  // Entries are 1-0, 2-0, ...: Redis's counter of x-0 is x. A reader that
  // steps over every gap (allow-gaps) must see a gap exactly when an entry
  // after its position was removed, size every trim exactly, and keep the
  // counter right whenever it claims to know it.
  std::mt19937_64 rng{42};
  size_t gaps = 0;
  size_t unknown = 0;
  for (int run = 0; run < 300; ++run) {
    model_stream m;
    source_position pos{stream_id{}, 0};
    size_t count = 1 + rng() % 8;
    for (int step = 0; step < 60; ++step) {
      switch (rng() % 5) {
        case 0:
        case 1:
        case 2:
          m.add(rng() % 6);
          break;
        case 3:
          m.trim(rng() % 12);
          break;
        default:
          if (m.added > 0)
            m.xdel(1 + rng() % m.added);
      }
      std::vector<uint64_t> got;
      auto snap = m.snapshot(pos.safe.ms, pos.safe, count, got);
      uint64_t lost = 0;
      for (auto x = pos.safe.ms + 1; x <= m.added; ++x)
        lost += m.present.count(x) == 0 ? 1 : 0;
      auto v = check_gap(pos, snap);
      if (pos.safe < snap.max_deleted) {
        CAF_CHECK_EQUAL(v.kind, gap_verdict::deleted);
      } else if (lost == 0) {
        // Without the counter a trim that ends exactly at the position
        // cannot be told from one that went further: reported, loudly.
        CAF_CHECK(!v
                  || (v.kind == gap_verdict::trimmed_unknown && !pos.counter));
      } else if (v.kind == gap_verdict::trimmed) {
        CAF_CHECK_EQUAL(v.lost, lost);
      } else {
        CAF_CHECK_EQUAL(v.kind, gap_verdict::trimmed_unknown);
        CAF_CHECK(!pos.counter);
        ++unknown;
      }
      if (v)
        ++gaps;
      pos = advance(pos, snap, v);
      if (pos.counter)
        CAF_CHECK_EQUAL(*pos.counter, pos.safe.ms);
    }
  }
  CAF_MESSAGE(gaps << " gaps, " << unknown << " of them not sizable");
  CAF_CHECK(gaps > 100);
}
