#pragma once

// The data the cursor actor hands to the writer actor: stored rows on load,
// and batches of upserts and deletes to commit in one transaction. These types
// stay inside one process (the writer is never remote).

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace cursor {

/// One row of the `cursors` table, as the writer loaded it (`load` reply).
struct stored_cursor {
  std::string peer;
  std::string stream_id;
  int64_t updated_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_cursor& x) {
  return f(caf::meta::type_name("stored_cursor"), x.peer, x.stream_id,
           x.updated_at);
}

/// One change: an upsert of `stream_id`, or a delete when `erase` is set.
struct write_op {
  std::string peer;
  std::string stream_id;
  int64_t updated_at = 0;
  bool erase = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_op& x) {
  return f(caf::meta::type_name("write_op"), x.peer, x.stream_id, x.updated_at,
           x.erase);
}

/// Sorts `ops` by peer in byte order (sorted keys touch the B-tree pages in
/// order). O(n log n), with whole strings compared only where the eight
/// bytes after the prefix every peer shares are equal. The writer sorts the
/// pieces it received before it writes them (issue 18: the cursor actor
/// hands them over unsorted, in bounded pieces).
void sort_by_peer(std::vector<write_op>& ops);

/// Changes committed together in one `BEGIN IMMEDIATE ... COMMIT`, sorted by
/// peer, at most one per peer.
struct write_batch {
  std::vector<write_op> ops;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_batch& x) {
  return f(caf::meta::type_name("write_batch"), x.ops);
}

} // namespace cursor
