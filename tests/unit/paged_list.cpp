// The paged list on its own, without an actor: a scripted port records the
// page reads it asks the "writer" for and the slices it schedules, a real
// cursor_table holds the cursors, and the tests play the writer's rows and
// the slice messages. The limits, both ways a page is made, the fallback from
// a failed read to a scan, stale tokens, and fail_all.

#define CAF_SUITE paged_list

#include "paged_list.hpp"
#include "cursor_table.hpp"

#include "test.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>

using namespace cursor;

namespace {

struct read_request {
  uint64_t token;
  std::string after;
  uint32_t limit;
};

struct port : paged_list_port {
  std::vector<read_request> reads;
  std::deque<uint64_t> slices;
  uint64_t next_token = 500;

  void read_rows(uint64_t token, const std::string& after,
                 uint32_t limit) override {
    reads.push_back(read_request{token, after, limit});
  }
  void schedule_slice(uint64_t token) override { slices.push_back(token); }
  uint64_t new_token() override { return ++next_token; }
};

struct answer {
  int calls = 0;
  std::optional<caf::expected<cursor_page>> page;
};

std::string peer(size_t i) {
  return "p" + std::to_string(100000 + i);
}

struct fixture {
  port p;
  cursor_table table;
  cursor_options opts;
  paged_list lists{p, table, opts};
  // What the "disk" holds: the committed rows.
  std::map<std::string, std::string> disk;

  fixture() {
    opts.list_slice_buckets = 8;
    for (size_t i = 0; i < 200; ++i) {
      auto id = stream_id{i + 1, 0};
      table.load(peer(i), cursor_value{id, 1});
      disk.emplace(peer(i), id.to_string());
    }
  }

  std::shared_ptr<answer> start(const std::string& after, uint32_t limit,
                                bool from_writer) {
    auto a = std::make_shared<answer>();
    if (auto err = lists.admit(limit))
      CAF_FAIL("refused: " << render(err));
    auto reads = p.reads.size();
    lists.start(after, limit, from_writer, [a](caf::expected<cursor_page> x) {
      a->calls += 1;
      a->page = std::move(x);
    });
    // A read waits for the table's ordered index: its build slices run
    // until the read is sent.
    for (int n = 0; from_writer && p.reads.size() == reads; ++n) {
      CAF_REQUIRE(n < 1000 && !p.slices.empty());
      auto token = p.slices.front();
      p.slices.pop_front();
      lists.slice(token);
    }
    return a;
  }

  // The writer answers read `r` from `disk`.
  void serve(const read_request& r) {
    std::vector<cursor_entry> rows;
    for (auto i = disk.upper_bound(r.after);
         i != disk.end() && rows.size() < r.limit; ++i)
      rows.push_back(cursor_entry{i->first, i->second, 1, true});
    lists.rows_read(r.token, std::move(rows));
  }

  // Delivers scheduled slices until none is left; returns how many.
  size_t run_slices() {
    size_t n = 0;
    while (!p.slices.empty()) {
      auto token = p.slices.front();
      p.slices.pop_front();
      lists.slice(token);
      ++n;
    }
    return n;
  }

  // The visible cursors, sorted: what pages must add up to.
  std::vector<std::string> visible() {
    std::vector<std::string> result;
    table.for_each([&](const std::string& x, const cursor_value&, bool) {
      result.push_back(x);
    });
    std::sort(result.begin(), result.end());
    return result;
  }

  static std::vector<std::string> peers_of(const cursor_page& page) {
    std::vector<std::string> result;
    for (auto& e : page.entries)
      result.push_back(e.peer);
    return result;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(paged_list_tests, fixture)

CAF_TEST(limits outside one to 100000 are refused) {
  CAF_CHECK(is(lists.admit(0), errc::invalid_list_request));
  CAF_CHECK(is(lists.admit(100001), errc::invalid_list_request));
  CAF_CHECK(!lists.admit(1));
  CAF_CHECK(!lists.admit(100000));
  CAF_CHECK_EQUAL(lists.running(), 0u);
}

CAF_TEST(a page is read by the writer and overlaid with the changes) {
  // Uncommitted: a new peer, a changed one, a deleted one.
  table.set("p100000a", stream_id{7, 0}, 2, false);
  table.set(peer(1), stream_id{50, 0}, 2, false);
  table.erase(peer(2));
  auto a = start("", 5, true);
  CAF_REQUIRE_EQUAL(p.reads.size(), 1u);
  CAF_CHECK_EQUAL(p.reads[0].after, "");
  CAF_CHECK_EQUAL(p.reads[0].limit, 5u);
  CAF_CHECK_EQUAL(lists.reads(), 1u);
  CAF_CHECK_EQUAL(a->calls, 0);
  serve(p.reads[0]);
  CAF_REQUIRE_EQUAL(a->calls, 1);
  CAF_REQUIRE(*a->page);
  auto& page = **a->page;
  auto want = visible();
  want.resize(5);
  CAF_CHECK(peers_of(page) == want);
  CAF_CHECK_EQUAL(page.entries[1].peer, "p100000a");
  CAF_CHECK(!page.entries[1].durable);
  CAF_CHECK_EQUAL(page.entries[2].stream_id, "50-0");
  CAF_CHECK(page.more);
  CAF_CHECK_EQUAL(lists.running(), 0u);
}

CAF_TEST(a page of a clean range is the rows the writer read) {
  // A change outside the page's range does not touch it.
  table.set(peer(150), stream_id{900, 0}, 2, false);
  auto a = start(peer(9), 4, true);
  serve(p.reads[0]);
  CAF_REQUIRE_EQUAL(a->calls, 1);
  CAF_REQUIRE(*a->page);
  auto& page = **a->page;
  CAF_REQUIRE_EQUAL(page.entries.size(), 4u);
  for (size_t k = 0; k < 4; ++k) {
    CAF_CHECK_EQUAL(page.entries[k].peer, peer(10 + k));
    CAF_CHECK_EQUAL(page.entries[k].stream_id, disk[peer(10 + k)]);
    CAF_CHECK(page.entries[k].durable);
  }
  CAF_CHECK_EQUAL(page.next, peer(13));
  CAF_CHECK(page.more);
}

CAF_TEST(more marked peers than the limit end the page at the last one taken) {
  // A committed change whose mark is not cleared yet; then ten deletes, each
  // followed by a new peer (not on disk), in the range of the first pages: a
  // page that takes only some of the marked peers must not list rows beyond
  // them (the new peers left out would be skipped). Whatever the limit, a
  // listing by pages lists every visible cursor once, with its value now.
  table.set(peer(30), stream_id{5000, 0}, 2, false);
  auto v = table.freeze();
  std::vector<write_op> piece;
  while (table.next_piece(4, piece))
    ;
  CAF_REQUIRE_EQUAL(piece.size(), 1u);
  disk[piece[0].peer] = piece[0].stream_id;
  table.begin_commit(v); // committed, the mark is not cleared
  for (size_t i = 3; i < 13; ++i) {
    table.erase(peer(i));
    table.set(peer(i) + "x", stream_id{1000 + i, 0}, 2, false);
  }
  table.erase(peer(40)); // and one more, uncommitted
  for (uint32_t limit : {1u, 2u, 3u, 7u, 50u}) {
    std::vector<std::string> listed;
    std::string after;
    for (int pages = 0;; ++pages) {
      CAF_REQUIRE(pages < 1000);
      p.reads.clear();
      auto a = start(after, limit, true);
      CAF_REQUIRE_EQUAL(p.reads.size(), 1u);
      serve(p.reads[0]);
      CAF_REQUIRE(*a->page);
      auto& page = **a->page;
      CAF_CHECK(page.entries.size() <= limit);
      for (auto& e : page.entries) {
        auto x = table.find(e.peer);
        CAF_REQUIRE(x.value != nullptr);
        CAF_CHECK_EQUAL(e.stream_id, x.value->id.to_string());
        CAF_CHECK_EQUAL(e.durable, x.durable);
        listed.push_back(e.peer);
      }
      if (!page.more)
        break;
      after = page.next;
    }
    CAF_CHECK(listed == visible());
  }
}

CAF_TEST(a read waits for the ordered index built in slices) {
  // More marks than a chunk: the index is built a slice at a time.
  opts.list_slice_buckets = 64;
  for (size_t i = 0; i < cursor_table::chunk_size + 100; ++i)
    table.set(peer(i), stream_id{500 + i, 0}, 2, false);
  CAF_CHECK(!table.order_ready());
  auto a = std::make_shared<answer>();
  lists.start("", 10, true, [a](caf::expected<cursor_page> x) {
    a->calls += 1;
    a->page = std::move(x);
  });
  CAF_CHECK(p.reads.empty()); // not sent before the index is complete
  CAF_REQUIRE_EQUAL(p.slices.size(), 1u);
  // Rows for a read not sent yet are forged: nothing happens.
  lists.rows_read(p.slices.front(), {});
  lists.rows_read(p.next_token - 1, {}); // the read's own token
  CAF_CHECK_EQUAL(a->calls, 0);
  // A set between slices is indexed as it is made.
  table.set("p0-between", stream_id{1, 0}, 2, false);
  size_t slices = 0;
  while (p.reads.empty()) {
    CAF_REQUIRE(!p.slices.empty() && slices < 10000);
    auto token = p.slices.front();
    p.slices.pop_front();
    lists.slice(token);
    ++slices;
  }
  CAF_CHECK(slices > 1);
  CAF_CHECK(table.order_ready());
  serve(p.reads[0]);
  CAF_REQUIRE_EQUAL(a->calls, 1);
  auto want = visible();
  want.resize(10);
  CAF_CHECK(peers_of(**a->page) == want);
  CAF_CHECK_EQUAL((**a->page).entries[0].peer, "p0-between");
  // Answered: the index stays for the next page (a commit slice that finds
  // it unheld and small drops it: suite cursor_table).
  CAF_CHECK(table.order_ready());
}

CAF_TEST(a page holds at most 10000 entries whatever the limit) {
  auto a = start("", 100000, true);
  CAF_REQUIRE_EQUAL(p.reads.size(), 1u);
  CAF_CHECK_EQUAL(p.reads[0].limit, paged_list::max_page_entries);
  serve(p.reads[0]);
  CAF_CHECK_EQUAL((**a->page).entries.size(), 200u);
}

CAF_TEST(a failed read is scanned from memory in slices instead) {
  auto a = start(peer(9), 20, true);
  CAF_REQUIRE_EQUAL(p.reads.size(), 1u);
  lists.read_failed(p.reads[0].token,
                    caf::make_error(errc::storage_error, "disk I/O error"));
  CAF_CHECK_EQUAL(lists.reads(), 0u);
  CAF_CHECK_EQUAL(lists.scans(), 1u);
  CAF_CHECK_EQUAL(a->calls, 0);
  auto slices = run_slices();
  CAF_CHECK(slices > 1); // other messages are served in between
  CAF_REQUIRE_EQUAL(a->calls, 1);
  auto want = visible();
  want.erase(want.begin(), std::upper_bound(want.begin(), want.end(), peer(9)));
  want.resize(20);
  CAF_CHECK(peers_of(**a->page) == want);
  CAF_CHECK_EQUAL((**a->page).next, want.back());
  CAF_CHECK((**a->page).more);
  // The stale read's rows do nothing.
  serve(p.reads[0]);
  CAF_CHECK_EQUAL(a->calls, 1);
}

CAF_TEST(without a writer a listing by scans meets every cursor once) {
  table.erase(peer(0));
  table.set("zz", stream_id{1, 1}, 1, false);
  std::vector<std::string> got;
  std::string after;
  for (int pages = 0;; ++pages) {
    CAF_REQUIRE(pages < 20);
    auto a = start(after, 37, false);
    CAF_CHECK(p.reads.empty());
    run_slices();
    CAF_REQUIRE_EQUAL(a->calls, 1);
    auto page = **a->page;
    auto xs = peers_of(page);
    got.insert(got.end(), xs.begin(), xs.end());
    after = page.next;
    if (!page.more)
      break;
  }
  CAF_CHECK(got == visible());
}

CAF_TEST(a scan of a small table answers inside start) {
  opts.list_slice_buckets = 1u << 20;
  auto a = start("", 10, false);
  CAF_CHECK_EQUAL(a->calls, 1);
  CAF_CHECK(p.slices.empty());
  CAF_CHECK_EQUAL(lists.running(), 0u);
}

CAF_TEST(stale or forged tokens change nothing) {
  auto a = start("", 10, false);
  CAF_REQUIRE_EQUAL(p.slices.size(), 1u);
  auto token = p.slices.front();
  for (uint64_t t : {uint64_t{0}, token + 1, uint64_t{42}}) {
    lists.slice(t);
    lists.rows_read(t, {});
    lists.read_failed(t, caf::make_error(errc::storage_error, "x"));
  }
  CAF_CHECK_EQUAL(p.slices.size(), 1u);
  CAF_CHECK_EQUAL(a->calls, 0);
  CAF_CHECK_EQUAL(lists.running(), 1u);
  run_slices();
  CAF_CHECK_EQUAL(a->calls, 1);
  lists.slice(token); // after the page: stale
  CAF_CHECK(p.slices.empty());
  CAF_CHECK_EQUAL(a->calls, 1);
}

CAF_TEST(at most 16 pages run at once reads and scans together) {
  std::vector<std::shared_ptr<answer>> pages;
  for (int i = 0; i < 8; ++i)
    pages.push_back(start("", 10, true));
  for (int i = 0; i < 8; ++i)
    pages.push_back(start("", 10, false));
  CAF_CHECK_EQUAL(lists.running(), 16u);
  CAF_CHECK(is(lists.admit(10), errc::invalid_list_request));
  serve(p.reads[0]);
  CAF_CHECK(!lists.admit(10));
}

CAF_TEST(fail_all answers every page in progress once) {
  auto read = start("", 10, true);
  auto scan = start("", 10, false);
  lists.fail_all(caf::make_error(errc::stopped, "stopping"));
  for (auto& a : {read, scan}) {
    CAF_REQUIRE_EQUAL(a->calls, 1);
    CAF_CHECK(is(a->page->error(), errc::stopped));
  }
  CAF_CHECK_EQUAL(lists.running(), 0u);
  serve(p.reads[0]);
  run_slices();
  CAF_CHECK_EQUAL(read->calls, 1);
  CAF_CHECK_EQUAL(scan->calls, 1);
}

CAF_TEST_FIXTURE_SCOPE_END()
