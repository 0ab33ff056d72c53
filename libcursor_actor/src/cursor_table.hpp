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
#include <deque>
#include <functional>
#include <optional>
#include <set>
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
/// writer; `version` identifies it for `cursor_table::commit`. Built whole
/// by `cursor_table::snapshot` (tests, small tables); the actor builds the
/// same changes in pieces (`freeze`, `next_piece`).
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
///   after that snapshot;
/// - while the ordered index is ready (`order_ready`), a peer has a mark
///   (dirty, or committed and not cleared yet) iff it is in the index
///   `for_each_marked_in` reads; a peer without a mark holds exactly its
///   committed value (its row);
/// - the index is kept only while someone holds it (`hold_order`) and until
///   the next commit slice after that: a set pays for an ordered insertion
///   (O(log dirty)) only then; without a holder a commit slice drops it once
///   it is small (at most `chunk_size` peers), so dropping is bounded too.
///
/// Bounded work per call (issue 18): no call but the whole-table helpers
/// (`snapshot`, `commit`, `for_each*`) does work
/// proportional to the number of cursors or of dirty peers. A write round
/// is `freeze` (O(dirty / chunk_size): it moves lists of chunks), then
/// `next_piece` until it says no more (each call at most `max` peers), then,
/// once the writer committed, `begin_commit` (O(chunks)) and `commit_slice`
/// until it says no more. Between these calls sets, deletes and reads go on:
/// - every dirty peer sits in exactly one of four lists of chunks: new
///   (`order_`), frozen and not yet sent (`input_`), sent in the current
///   round (`sent_`), committed and not yet cleared (`committing_`);
/// - a piece carries each peer's value at the time of the piece (never
///   older than at the freeze): a change after the freeze keeps the peer
///   dirty after the commit, so it is written again, never lost;
/// - after `begin_commit(v)` a mark with version <= v is committed
///   ("covered"): reads see the peer clean (or, a delete, gone) at once,
///   `dirty_count` excludes it, and a slice (or the next freeze's pieces)
///   clears it later; a change to it makes it a dirty mark again;
/// - a freeze takes every dirty peer, whichever list holds it: a round that
///   failed or was abandoned half-sent needs no undo.
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
      if (!covered(mark))
        f(node->first, node->second, mark.erase);
  }

  /// The ordered index of marked peers (the paged list's overlay). A
  /// reader holds it from before it reads the database until it has read
  /// the index; `build_order` makes it complete, a slice at a time.
  void hold_order() { ++order_holders_; }

  /// Ends a `hold_order`. Without holders the index is dropped by the next
  /// commit slice that finds it small (so the pages of one listing share
  /// it, and sets stop paying for it after the next flush).
  void release_order();

  /// Whether the index is complete: every mark is in it.
  bool order_ready() const { return order_on_ && order_built_; }

  /// Completes the index: at once when there are at most `chunk_size`
  /// marks, else by scanning `buckets` buckets of the marks per call (a
  /// rehash of the marks restarts the scan; marks made meanwhile are
  /// indexed as they are made). Returns whether it is complete.
  bool build_order(size_t buckets);

  /// Calls `f(peer)` in byte order for every peer with a mark (an
  /// uncommitted set or delete, or a committed change whose mark is not
  /// cleared yet) greater than `after` and, if `bound` is given, not greater
  /// than `*bound`, for at most `max` peers; returns whether more such peers
  /// remain. O(log dirty + max). Requires `order_ready()`.
  /// A peer without a mark has its committed value in memory, so a reader of
  /// the database needs the table only for the peers this names.
  template <class F>
  bool for_each_marked_in(const std::string& after, const std::string* bound,
                          size_t max, F f) const {
    auto i = dirty_order_.upper_bound(after);
    for (size_t n = 0; i != dirty_order_.end(); ++i, ++n) {
      auto& peer = (*i)->first;
      if (bound != nullptr && peer > *bound)
        return false;
      if (n == max)
        return true;
      f(peer);
    }
    return false;
  }

  /// The number of visible cursors (pending deletes excluded).
  size_t size() const { return cursors_.size() - pending_deletes_; }

  /// The number of peers with an uncommitted change.
  size_t dirty_count() const { return dirty_.size() - covered_remaining_; }

  bool clean() const { return dirty_count() == 0; }

  /// When the oldest uncommitted change was made; none when clean. O(1).
  std::optional<time_point> oldest_dirty() const;

  /// The number of peers a chunk of the dirty lists holds.
  static constexpr size_t chunk_size = 4096;

  /// Starts a write round: every uncommitted change now becomes the frozen
  /// set of the round, whose version this returns (for `begin_commit`).
  /// O(chunks). Abandons the pieces of an earlier round not committed.
  uint64_t freeze();

  /// Appends to `out` the changes of up to `max` peers of the frozen set,
  /// unsorted, each with its value now; returns whether frozen peers remain.
  bool next_piece(size_t max, std::vector<write_op>& out);

  /// The writer committed the round frozen last, `version`, after every
  /// piece was taken: its changes read as committed from now on; the marks
  /// are cleared by `commit_slice` (or by the next round's pieces).
  void begin_commit(uint64_t version);

  /// Clears up to `max` committed marks (and drops the entries whose delete
  /// committed); returns whether committed marks remain to clear.
  bool commit_slice(size_t max);

  /// Every uncommitted change now, sorted by peer: `freeze` plus every piece
  /// in one call, O(dirty log dirty). For tests and small tables.
  table_snapshot snapshot();

  /// `begin_commit` plus every `commit_slice` in one call, O(dirty).
  void commit(uint64_t version);

private:
  using cursor_map = std::unordered_map<std::string, cursor_value>;
  // An entry's address stays valid until it is erased (rehashing moves no
  // node), so the dirty set refers to entries by address: no string is
  // hashed, compared or copied to mark or snapshot one.
  using node_type = cursor_map::value_type;

  // Orders nodes by peer; also compares with a peer (upper_bound(after)).
  struct node_less {
    using is_transparent = void;
    bool operator()(const node_type* a, const node_type* b) const {
      return a->first < b->first;
    }
    bool operator()(const node_type* a, const std::string& b) const {
      return a->first < b;
    }
    bool operator()(const std::string& a, const node_type* b) const {
      return a < b->first;
    }
  };
  using node_order = std::set<const node_type*, node_less>;

  struct mark {
    // This peer's place in `dirty_order_` (erased with the mark in O(1)),
    // valid iff `order_epoch` is the table's current one.
    node_order::const_iterator order;
    uint64_t order_epoch = 0;
    // Version of the latest change; a commit clears the mark only if no
    // change came after the snapshot it wrote.
    uint64_t version = 0;
    // When the oldest change not covered by a commit was made.
    time_point since;
    // When the first change after the latest snapshot was made; becomes
    // `since` if that snapshot commits while this mark stays dirty.
    time_point since_snapshot;
    // The round whose pieces carried this peer last (`round_`).
    uint64_t sent_round = 0;
    // The change is a delete.
    bool erase = false;
  };

  using chunk = std::vector<const node_type*>;
  using chunk_list = std::deque<chunk>;

  // Committed by `begin_commit`, not cleared yet.
  bool covered(const mark& m) const { return m.version <= covered_; }
  // Clears the covered mark `i` (and drops its entry if it was a delete).
  void settle(std::unordered_map<const node_type*, mark>::iterator i);
  static void push(chunk_list& list, const node_type* node);
  static void splice(chunk_list& to, chunk_list& from);
  static const node_type* pop(chunk_list& list);
  // Pops the next peer of `list` into `node` (null: the list is empty) and
  // returns its mark, or null after clearing it if it was covered.
  mark* pop_mark(chunk_list& list, const node_type*& node);

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
  // The peers of `dirty_` in byte order (the paged list's overlay), kept
  // while held: one insertion, O(log dirty), when a peer gets a mark; one
  // O(1) erase when the mark is cleared. A mark is in it iff order_on_ and
  // its order_epoch is order_epoch_ (dropping the index bumps the epoch
  // instead of visiting the marks).
  node_order dirty_order_;
  bool order_on_ = false;
  bool order_built_ = false;
  uint64_t order_epoch_ = 1;
  size_t order_holders_ = 0;
  // The build's scan of the marks' buckets: where it is, and the bucket
  // count it started with (a rehash restarts it).
  size_t order_next_bucket_ = 0;
  size_t order_buckets_ = 0;
  bool indexed(const mark& m) const {
    return order_on_ && m.order_epoch == order_epoch_;
  }
  void index(const node_type& node, mark& m);
  void drop_order_if_unused();
  // Entries of `cursors_` hidden by a pending delete.
  size_t pending_deletes_ = 0;
  uint64_t next_version_ = 1;
  // The version of the latest snapshot (freeze).
  uint64_t snapshot_version_ = 0;
  // The four lists every dirty peer is in one of (see the class comment).
  chunk_list order_;
  chunk_list input_;
  chunk_list sent_;
  chunk_list committing_;
  // The current round (counts freezes).
  uint64_t round_ = 0;
  // Marks sent in the current round that no change touched since the
  // freeze: what its commit covers.
  size_t sent_covered_ = 0;
  // Marks with a version <= covered_ are committed; covered_remaining_ of
  // them are not cleared yet.
  uint64_t covered_ = 0;
  size_t covered_remaining_ = 0;
  // The oldest dirty age without a walk over the marks: the oldest `since`
  // of the peers frozen last (until their round commits), of the peers
  // that became dirty since the freeze (`order_`), and of the first changes
  // after the freeze to frozen or committed peers (what `since` becomes for
  // those that stay dirty). Each is reset at the freeze.
  std::optional<time_point> frozen_min_;
  std::optional<time_point> order_min_;
  std::optional<time_point> post_min_;
};

} // namespace cursor
