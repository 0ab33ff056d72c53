#pragma once

// What the cursor actor answers about a cursor. Both types cross the wire and
// are registered by `register_types`.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace cursor {

/// One item of the `list` reply (wire type; in memory: `cursor_value`).
struct cursor_entry {
  /// The peer this cursor belongs to.
  std::string peer;
  /// Canonical stream ID of the last applied event.
  std::string stream_id;
  /// Wall-clock time of the last change, Unix milliseconds.
  int64_t updated_at = 0;
  /// Whether this value is committed to the database.
  bool durable = false;

  friend bool operator==(const cursor_entry& a, const cursor_entry& b) {
    return a.peer == b.peer && a.stream_id == b.stream_id
           && a.updated_at == b.updated_at && a.durable == b.durable;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cursor_entry& x) {
  return f(caf::meta::type_name("cursor_entry"), x.peer, x.stream_id,
           x.updated_at, x.durable);
}

/// One page of the paged `list` (wire type): the visible cursors with a peer
/// greater than the request's `after_peer` (byte order), at most `limit`,
/// sorted by peer.
struct cursor_page {
  std::vector<cursor_entry> entries;
  /// The last entry's peer: the `after_peer` of the next page.
  std::string next;
  /// Peers after `next` may exist: ask for the next page.
  bool more = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cursor_page& x) {
  return f(caf::meta::type_name("cursor_page"), x.entries, x.next, x.more);
}

/// The answer to a `get`: `found` tells an unknown peer from a known one.
struct cursor_lookup {
  bool found = false;
  /// The canonical stream ID; empty when `found` is false.
  std::string stream_id;
  /// Whether the value is committed to the database.
  bool durable = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cursor_lookup& x) {
  return f(caf::meta::type_name("cursor_lookup"), x.found, x.stream_id,
           x.durable);
}

} // namespace cursor
