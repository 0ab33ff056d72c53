#pragma once

// One page of the paged `list` from the database's order, overlaid with the
// cursor table: what a page is when the writer can read it.
//
// The v2 table is clustered on peer_id, so the writer reads the committed
// rows after `after` in byte order with one B-tree range scan (O(log n +
// limit), on its own thread). Memory is the truth, though: a committed row
// may have changed since, been deleted, or a peer may exist only in memory
// (never flushed). `overlay_page` merges the two on the cursor actor:
//
// - candidates = the committed rows, plus every uncommitted change of the
//   table with a peer in (after, bound] that is not an erase; bound = the
//   last committed row when the read was full (peers beyond it belong to
//   later pages), unbounded otherwise;
// - each candidate in order is looked up in the table: its value and
//   `durable` flag now; a peer the table no longer has is dropped;
// - the page ends after `limit` entries; `next` is the last candidate it
//   consumed (listed or dropped), `more` whether candidates remain or the
//   read was full.
//
// Why no peer is missed: the writer answers the cursor actor in order, so
// when the rows arrive, a write round the read did not see has not been
// acknowledged yet and its peers are still uncommitted changes of the table.
// A peer present during a whole listing is therefore either a committed row
// or an uncommitted change of the page whose range holds it, and appears
// exactly once. Cost on the actor: one lookup per candidate plus one pass
// over the uncommitted changes.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "cursor_actor/cursor_entry.hpp"
#include "cursor_table.hpp"
#include "write_batch.hpp"

namespace cursor {

/// `rows`: the writer's answer to (list, after, limit), sorted, each > after.
inline cursor_page overlay_page(const cursor_table& table,
                                const std::string& after, uint32_t limit,
                                const std::vector<stored_cursor>& rows) {
  bool full = !rows.empty() && rows.size() >= limit;
  const std::string* bound = full ? &rows.back().peer : nullptr;
  std::vector<const std::string*> extra;
  table.for_each_dirty(
      [&](const std::string& peer, const cursor_value&, bool erase) {
        if (!erase && peer > after && (bound == nullptr || peer <= *bound))
          extra.push_back(&peer);
      });
  auto less
      = [](const std::string* a, const std::string* b) { return *a < *b; };
  // Only the `limit` smallest can make it into the page: a large dirty set
  // (an import of many new peers not flushed yet) is not sorted whole.
  bool extra_cut = extra.size() > limit;
  if (extra_cut) {
    std::nth_element(extra.begin(), extra.begin() + limit, extra.end(), less);
    extra.resize(limit);
  }
  std::sort(extra.begin(), extra.end(), less);
  cursor_page page;
  page.entries.reserve(std::min<size_t>(limit, rows.size() + extra.size()));
  size_t i = 0;
  size_t j = 0;
  while ((i < rows.size() || j < extra.size()) && page.entries.size() < limit) {
    // The smaller candidate; a peer in both lists is taken once.
    const std::string* peer;
    if (j == extra.size() || (i < rows.size() && rows[i].peer < *extra[j])) {
      peer = &rows[i++].peer;
    } else {
      if (i < rows.size() && rows[i].peer == *extra[j])
        ++i;
      peer = extra[j++];
    }
    page.next = *peer;
    auto x = table.find(*peer);
    if (x.value == nullptr)
      continue;
    page.entries.push_back(cursor_entry{*peer, x.value->id.to_string(),
                                        x.value->updated_at, x.durable});
  }
  page.more = full || extra_cut || i < rows.size() || j < extra.size();
  return page;
}

} // namespace cursor
