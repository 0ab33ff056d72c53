#pragma once

// The cursor table: every cursor in memory and the changes not committed yet.
// A plain data structure (no actor, no SQLite, no CAF header of its own): the
// cursor actor owns one and is its only user, so it needs no locks. Tested
// without an actor system in tests/unit/cursor_table.cpp.
//
// The five record types of the store, and which is which:
// - `cursor_value`  (here)              a cursor in memory: parsed ID + time.
// - `cursor_entry`  (cursor_entry.hpp)  one item of the `list` reply (wire).
// - `cursor_lookup` (cursor_entry.hpp)  the `get` reply: found or not (wire).
// - `stored_cursor` (write_batch.hpp)   one row as the writer loaded it.
// - `write_op`      (write_batch.hpp)   one change the writer is to commit.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cursor_actor/stream_id.hpp"
#include "write_batch.hpp"

namespace cursor {

/// A cursor in memory: the table's value type.
struct cursor_value {
  stream_id id;
  /// Unix milliseconds of the last change.
  int64_t updated_at = 0;
};

/// Every uncommitted change at one moment, sorted by peer, ready for the
/// writer; `version` identifies it for `cursor_table::commit`.
struct table_snapshot {
  uint64_t version = 0;
  write_batch batch;
};

/// What a `set` did.
enum class set_outcome {
  /// The value changed (or the peer is new): the peer is dirty now.
  changed,
  /// The value equals the current one: nothing changed.
  unchanged,
  /// The value is lower than the current one and not forced: refused,
  /// nothing changed.
  regression,
  /// A conditional set met another state than the one it expects: refused,
  /// nothing changed.
  conflict,
};

/// What a conditional set expects to find: the value the caller planned
/// from, or `std::nullopt` for "no cursor" (an unknown peer or a pending
/// delete).
using expected_value = std::optional<stream_id>;

/// What a batched set did (`cursor_table::set_all`).
struct batch_outcome {
  /// The index of the first refused entry, or the batch's size when every
  /// entry was applied.
  size_t refused = 0;
  /// Why entry `refused` was refused: `regression` or `conflict`;
  /// `changed` when nothing was refused.
  set_outcome reason = set_outcome::changed;
  /// The state the refused entry met: the value earlier entries left or the
  /// table held, `std::nullopt` for no cursor.
  expected_value found;
  /// The number of entries that changed a value (0 when refused).
  size_t changed = 0;
};

/// What an `erase` did.
enum class erase_outcome {
  /// The peer is not in the table: nothing changed.
  unknown,
  /// The peer was visible: it is hidden now and its delete is dirty.
  erased,
  /// The peer's delete was pending already: it is marked again (a new
  /// version), so the next commit writes it.
  erased_again,
};

/// The cursors in memory plus the dirty set.
///
/// Invariants (private, checked by the unit tests through the public calls):
/// - a peer is dirty iff its latest change (set or erase) is not covered by
///   a committed snapshot;
/// - an erased peer stays in the map, hidden from every read, until its
///   delete commits (so its address, which the dirty set uses, stays valid);
/// - `commit(v)` clears exactly the marks whose latest change has a version
///   <= v; later changes stay dirty, with the age of their first change
///   after that snapshot.
class cursor_table {
public:
  using time_point = std::chrono::steady_clock::time_point;
  /// Reads the clock for dirty ages (the actor's clock; a test's clock).
  using clock_function = std::function<time_point()>;

  explicit cursor_table(clock_function now = std::chrono::steady_clock::now);

  cursor_table(cursor_table&&) = default;
  cursor_table& operator=(cursor_table&&) = default;
  cursor_table(const cursor_table&) = delete;
  cursor_table& operator=(const cursor_table&) = delete;

  /// Replaces the clock (the actor's clock, once the actor exists).
  void use_clock(clock_function now) { now_ = std::move(now); }

  /// Reserves room for `n` cursors.
  void reserve(size_t n);

  /// Adds a stored cursor as committed (clean). Returns false, changing
  /// nothing, if `peer` is present already.
  bool load(std::string peer, cursor_value value);

  /// Sets `peer` to `id` (stamped `updated_at`). Refuses a lower value
  /// unless `force`; on a refusal `*current` (if given) receives the current
  /// value. A pending delete counts as absent.
  set_outcome set(const std::string& peer, stream_id id, int64_t updated_at,
                  bool force, stream_id* current = nullptr);

  /// The conditional set: as `set`, but only if the peer's state is still
  /// `expected` (its value, or no cursor); otherwise refuses with `conflict`,
  /// changing nothing. The condition is checked first: an entry that meets
  /// another state is a conflict even if it would also be a regression.
  /// `*found` (if given) receives the state met on any refusal.
  set_outcome set_if(const std::string& peer, const expected_value& expected,
                     stream_id id, int64_t updated_at, bool force,
                     expected_value* found = nullptr);

  /// The batched set: exactly the sequence of `set`s (or, with `expected`,
  /// of `set_if`s with `(*expected)[k]`) of `peers[k]` to `ids[k]` in order,
  /// each checked against the state the earlier ones left (a pending delete
  /// is absent until an entry sets the peer), but all or nothing: at the
  /// first refused entry every earlier one is undone and nothing is marked
  /// dirty. `peers`, `ids` and `*expected` have the same size.
  batch_outcome set_all(const std::vector<std::string>& peers,
                        const std::vector<stream_id>& ids, int64_t updated_at,
                        bool force,
                        const std::vector<expected_value>* expected = nullptr);

  /// Hides `peer` and marks its delete dirty.
  erase_outcome erase(const std::string& peer);

  /// The value of `peer` and whether it is committed; `value` is null for an
  /// unknown peer or a pending delete.
  struct lookup {
    const cursor_value* value = nullptr;
    bool durable = false;
  };
  lookup find(const std::string& peer) const;

  /// Calls `f(peer, value, durable)` for every visible cursor, in no order.
  template <class F>
  void for_each(F f) const {
    for (auto& node : cursors_) {
      auto mark = mark_of(node);
      if (mark != nullptr && mark->erase)
        continue;
      f(node.first, node.second, mark == nullptr);
    }
  }

  /// The number of buckets of the map. It changes only when the map
  /// rehashes (which moves no entry's address but reorders the buckets), so
  /// a scan in slices (`scan_buckets`) that sees it change must restart.
  size_t bucket_count() const { return cursors_.bucket_count(); }

  /// Calls `f(peer, value, durable)` for every visible cursor in the buckets
  /// [first, first + count) (clipped to `bucket_count()`), in no order. A
  /// scan of every bucket in slices, with the same `bucket_count()`
  /// throughout, meets every entry present throughout exactly once.
  template <class F>
  void scan_buckets(size_t first, size_t count, F f) const {
    auto last = std::min(cursors_.bucket_count(),
                         first + std::min(count, cursors_.bucket_count()));
    for (auto b = first; b < last; ++b)
      for (auto i = cursors_.begin(b); i != cursors_.end(b); ++i) {
        auto mark = mark_of(*i);
        if (mark != nullptr && mark->erase)
          continue;
        f(i->first, i->second, mark == nullptr);
      }
  }

  /// Calls `f(peer, value, erase)` for every uncommitted change, in no order.
  template <class F>
  void for_each_dirty(F f) const {
    for (auto& [node, mark] : dirty_)
      f(node->first, node->second, mark.erase);
  }

  /// The number of visible cursors (pending deletes excluded).
  size_t size() const { return cursors_.size() - pending_deletes_; }

  /// The number of peers with an uncommitted change.
  size_t dirty_count() const { return dirty_.size(); }

  bool clean() const { return dirty_.empty(); }

  /// When the oldest uncommitted change was made; none when clean.
  std::optional<time_point> oldest_dirty() const;

  /// Every uncommitted change now, sorted by peer (sorted keys touch the
  /// B-tree pages in order). Taking a snapshot changes nothing but the
  /// table's note of the latest snapshot, which `commit` relies on.
  table_snapshot snapshot();

  /// The writer committed the latest snapshot, `version`: clears the marks
  /// it covered and drops the entries whose delete it committed.
  void commit(uint64_t version);

private:
  using cursor_map = std::unordered_map<std::string, cursor_value>;
  // An entry's address stays valid until it is erased (rehashing moves no
  // node), so the dirty set refers to entries by address: no string is
  // hashed, compared or copied to mark or snapshot one.
  using node_type = cursor_map::value_type;

  struct mark {
    // Version of the latest change; a commit clears the mark only if no
    // change came after the snapshot it wrote.
    uint64_t version = 0;
    // When the oldest change not covered by a commit was made.
    time_point since;
    // When the first change after the latest snapshot was made; becomes
    // `since` if that snapshot commits while this mark stays dirty.
    time_point since_snapshot;
    // The peer's sort key: eight bytes of its string from `sort_offset` on,
    // big-endian, zero-padded; computed when the peer became dirty (its
    // string is in the cache then). Usable while `sort_offset` equals the
    // length of `dirty_prefix_`.
    uint64_t sort_key = 0;
    uint16_t sort_offset = 0;
    // The change is a delete.
    bool erase = false;
  };

  // Applies one set; `found` receives the state a refused set met.
  set_outcome apply(const std::string& peer, const expected_value* expected,
                    stream_id id, int64_t updated_at, bool force,
                    expected_value& found);
  // The rule every set follows, given the state it meets (`current` null:
  // no cursor) and, for a conditional set, the state it expects.
  static set_outcome decide(const stream_id* current, stream_id id, bool force,
                            const expected_value* expected);

  const mark* mark_of(const node_type& node) const;
  bool is_erased(const node_type& node) const;
  void mark_dirty(const node_type& node, bool erase);

  clock_function now_;
  cursor_map cursors_;
  std::unordered_map<const node_type*, mark> dirty_;
  // Entries of `cursors_` hidden by a pending delete.
  size_t pending_deletes_ = 0;
  // A prefix shared by every peer marked dirty since the dirty set was last
  // empty (it only shrinks meanwhile). Sort keys start after it.
  std::string dirty_prefix_;
  uint64_t next_version_ = 1;
  // The version of the latest snapshot.
  uint64_t snapshot_version_ = 0;
};

} // namespace cursor
