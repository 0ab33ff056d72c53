#pragma once

// The paged list: the pages of `(list, after, limit)` in progress, their
// limits, and the two ways a page is made. A plain class (no actor): the
// cursor actor owns one and feeds it events (a request, the writer's rows, a
// slice message); it acts through a `paged_list_port`, which the actor
// implements and the unit suite (tests/unit/paged_list.cpp) scripts.
//
// A page is made one of two ways (the caller sees the same page either way):
// - *read*: the writer reads the committed rows after `after` (one B-tree
//   range scan on its thread) and the page is those rows overlaid with the
//   table's marked peers in their range (page_overlay.hpp), when they
//   arrive: O(log dirty) plus a lookup per marked peer in the page's range.
//   The table keeps its ordered index of marked peers only while a page
//   holds it: a page holds it from its start to its answer, and when the
//   index is not complete (no page ran lately) the read waits until it is,
//   built `list_slice_buckets` buckets per slice message;
// - *scan*: when the writer cannot read (gone, the store not open) or the
//   read failed, the table's hash buckets are scanned `list_slice_buckets`
//   at a time (page_scan.hpp), one slice per slice message, so other
//   messages are served between slices.
//
// Invariants:
// - a page is refused (`invalid_list_request`, nothing started) when its
//   limit is outside 1..max_limit or max_running pages run already;
// - a page holds at most max_page_entries entries whatever the limit (the
//   actor builds it in one message); a larger limit gives pages of that size
//   with `more` set;
// - every page in progress is either one read (awaiting the index, then the
//   writer) or one scan awaiting its next slice, under its own token; a
//   slice or rows with a token not in progress (stray, stale, forged)
//   change nothing;
// - a read holds the table's ordered index from its start until it is
//   answered or falls back to a scan; it is sent to the writer only once
//   the index is complete;
// - every page's answer is called exactly once: with the page, or by
//   fail_all; a failed read falls back to a scan, never to an error;
// - the table is read when the page is answered (values and `durable` of
//   that moment), never kept across messages except by the scan's
//   candidate peers (looked up again at the end).

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "cursor_actor/cursor_entry.hpp"
#include "cursor_actor/options.hpp"
#include "cursor_table.hpp"
#include "page_scan.hpp"
#include "write_batch.hpp"

namespace cursor {

/// What the paged list needs from its owner.
class paged_list_port {
public:
  virtual ~paged_list_port() = default;

  /// Asks the writer for its committed rows with a peer greater than
  /// `after`, the `limit` smallest; the answer comes back through
  /// paged_list::rows_read or read_failed with `token`.
  virtual void read_rows(uint64_t token, const std::string& after,
                         uint32_t limit)
      = 0;

  /// Has paged_list::slice(token) called after the messages queued now
  /// (CAF 0.17: through the clock with a zero delay, see cursor.cpp).
  virtual void schedule_slice(uint64_t token) = 0;

  /// A fresh non-zero random token.
  virtual uint64_t new_token() = 0;
};

class paged_list {
public:
  /// Called once with the page or the error.
  using answer_fn = std::function<void(caf::expected<cursor_page>)>;

  /// The largest limit a request may give.
  static constexpr uint32_t max_limit = 100000;
  /// The most entries one page holds: the actor builds a page in one message
  /// (~3 ms at 10,000; a 100,000-entry page held gets for up to 160 ms at 1M
  /// cursors).
  static constexpr uint32_t max_page_entries = 10000;
  /// The most pages in progress at once.
  static constexpr size_t max_running = 16;

  /// `port`, `table` and `opts` (list_slice_buckets, read at each slice)
  /// must outlive the paged list.
  paged_list(paged_list_port& port, cursor_table& table,
             const cursor_options& opts);

  paged_list(const paged_list&) = delete;
  paged_list& operator=(const paged_list&) = delete;

  /// The refusal of a page with `limit` now, or none.
  caf::error admit(uint32_t limit) const;

  /// Starts a page that admit() accepted: read from the writer when
  /// `writer_can_read`, else scanned. `done` may be called before this
  /// returns (a scan of a small table).
  void start(std::string after, uint32_t limit, bool writer_can_read,
             answer_fn done);

  /// The writer's rows for read `token`.
  void rows_read(uint64_t token, std::vector<cursor_entry> rows);

  /// The writer could not read page `token`: it is scanned instead.
  void read_failed(uint64_t token, const caf::error& err);

  /// The slice message `token`: scans the next slice, answers when done.
  void slice(uint64_t token);

  /// Answers every page in progress with `err` (the actor stops).
  void fail_all(const caf::error& err);

  /// Pages in progress: reads and scans.
  size_t running() const { return reads_.size() + scans_.size(); }
  size_t reads() const { return reads_.size(); }
  size_t scans() const { return scans_.size(); }

private:
  struct read {
    std::string after;
    uint32_t limit;
    answer_fn done;
    // Sent to the writer (else waiting for the index).
    bool sent = false;
  };

  struct scan {
    page_scan pages;
    answer_fn done;
  };

  void start_scan(std::string after, uint32_t limit, answer_fn done);
  // Sends the reads waiting for the index once it is complete, else
  // schedules the next slice of its build.
  void build_step();
  size_t slice_buckets() const;
  cursor_page finish(page_scan& pages);

  paged_list_port& port_;
  cursor_table& table_;
  // The slice message of the index build in progress, or 0.
  uint64_t build_token_ = 0;
  const cursor_options& opts_;
  std::unordered_map<uint64_t, read> reads_;
  std::unordered_map<uint64_t, scan> scans_;
};

} // namespace cursor
