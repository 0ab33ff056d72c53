#pragma once

// One page of the paged `list` from the database's order, overlaid with the
// cursor table: what a page is when the writer can read it.
//
// The v2 table is clustered on peer_id, so the writer reads the committed
// rows after `after` in byte order with one B-tree range scan (O(log n +
// limit), on its own thread) and answers them as entries (durable). Memory
// is the truth, though: a committed row may have changed since, been
// deleted, or a peer may exist only in memory (never flushed). All of these
// have a mark in the table (an uncommitted change, or a committed one whose
// mark is not cleared yet), and the table keeps its marked peers in order
// (`cursor_table::for_each_marked_in`). `overlay_page` merges the two on the
// cursor actor:
//
// - candidates = the rows, plus the marked peers in (after, bound], at most
//   `limit` of them; bound = the last row when the read was full (peers
//   beyond it belong to later pages), unbounded otherwise;
// - a row whose peer has no mark is taken as it is: that peer's value in
//   memory is its committed row;
// - a marked peer (whether or not it is also a row) is looked up in the
//   table: its value and `durable` flag now; a peer the table no longer has
//   (a pending or committed delete) is dropped;
// - the page ends after `limit` entries, or at the last marked peer taken
//   when more marked peers remain (a row beyond it could be preceded by one
//   not taken); `next` is the last candidate it consumed (listed or
//   dropped), `more` whether candidates remain or the read was full.
//
// Why a row without a mark is current: the writer answers the cursor actor
// in order, so when the rows arrive every commit the read saw has been
// acknowledged and every commit it did not see has not; a peer changed
// since the read, or by a round the read did not see, still has its mark.
// Why no peer is missed: a peer present during a whole listing is either a
// row or a marked peer of the page whose range holds it, and appears exactly
// once.
//
// Cost on the actor: O(log dirty) to find the marked peers, then one lookup
// per marked peer taken; a page whose range has no marked peer (the usual
// case, and every page of a clean table) is the writer's vector, moved. The
// ordered index exists only while pages hold it (paged_list.hpp), so sets
// pay for it only while someone lists.

#include <cstdint>
#include <string>
#include <vector>

#include "cursor_actor/cursor_entry.hpp"
#include "cursor_table.hpp"

namespace cursor {

/// `rows`: the writer's answer to (list, after, limit): sorted, each peer >
/// after, at most `limit`, each `durable`.
inline cursor_page overlay_page(const cursor_table& table,
                                const std::string& after, uint32_t limit,
                                std::vector<cursor_entry> rows) {
  bool full = !rows.empty() && rows.size() >= limit;
  const std::string* bound = full ? &rows.back().peer : nullptr;
  std::vector<const std::string*> marked;
  bool marked_cut = table.for_each_marked_in(
      after, bound, limit, [&](const std::string& p) { marked.push_back(&p); });
  cursor_page page;
  if (marked.empty()) {
    // Every row is its peer's value now.
    if (!rows.empty())
      page.next = rows.back().peer;
    page.entries = std::move(rows);
    page.more = full;
    return page;
  }
  // With marked peers left out, a row beyond the last one taken may not be
  // listed before them.
  const std::string* stop = marked_cut ? marked.back() : nullptr;
  page.entries.reserve(std::min<size_t>(limit, rows.size() + marked.size()));
  size_t i = 0;
  size_t j = 0;
  while (page.entries.size() < limit) {
    bool row_left
        = i < rows.size() && (stop == nullptr || rows[i].peer <= *stop);
    if (!row_left && j == marked.size())
      break;
    if (j == marked.size() || (row_left && rows[i].peer < *marked[j])) {
      // A row without a mark.
      page.next = rows[i].peer;
      page.entries.push_back(std::move(rows[i++]));
      continue;
    }
    const std::string& peer = *marked[j++];
    if (i < rows.size() && rows[i].peer == peer)
      ++i; // the table's value replaces the row
    page.next = peer;
    auto x = table.find(peer);
    if (x.value == nullptr)
      continue;
    page.entries.push_back(cursor_entry{peer, x.value->id.to_string(),
                                        x.value->updated_at, x.durable});
  }
  page.more = full || marked_cut || i < rows.size() || j < marked.size();
  return page;
}

} // namespace cursor
