#pragma once

// One page of the paged `list`, computed in slices: the visible cursors with
// a peer greater than `after` (byte order), the `limit` smallest, sorted.
//
// The table has no ordered index (it would cost memory per cursor), so a page
// is found by scanning the hash map's buckets, a slice at a time (`step`),
// keeping the `limit` smallest peers seen in a bounded max-heap. The cursor
// actor runs one slice per message, so the messages queued meanwhile are
// served between slices. A rehash between slices reorders the buckets: the
// scan then restarts from bucket 0 with an empty heap. `finish` looks each
// candidate up again: a peer erased meanwhile is dropped; values are those of
// that moment.
//
// Guarantee: a peer visible during the whole scan is a candidate at the end
// (it sits in one bucket of the final, complete pass), so a listing by pages
// (each `after` = the previous page's last peer) meets it exactly once.
// A peer set or erased during the scan may or may not appear.

#include <algorithm>
#include <cstdint>
#include <queue>
#include <string>
#include <vector>

#include "cursor_actor/cursor_entry.hpp"
#include "cursor_table.hpp"

namespace cursor {

class page_scan {
public:
  page_scan(std::string after, uint32_t limit)
      : after_(std::move(after)), limit_(limit) {}

  /// Scans the next `buckets` buckets of `table`. Returns true when every
  /// bucket is done.
  bool step(const cursor_table& table, size_t buckets) {
    if (table.bucket_count() != bucket_count_) {
      // First slice, or the map rehashed since the last one: start over.
      ++restarts_;
      bucket_count_ = table.bucket_count();
      next_bucket_ = 0;
      seen_ = 0;
      heap_ = {};
    }
    table.scan_buckets(next_bucket_, buckets,
                       [this](const std::string& peer, const cursor_value&,
                              bool) { offer(peer); });
    next_bucket_ = std::min(bucket_count_, next_bucket_ + buckets);
    return next_bucket_ >= bucket_count_;
  }

  /// The page, once `step` returned true: the candidates still visible,
  /// sorted, with their values now. `more` tells whether peers after the
  /// last entry may exist.
  std::vector<cursor_entry> finish(const cursor_table& table, bool& more) {
    more = seen_ > heap_.size();
    std::vector<std::string> peers;
    peers.reserve(heap_.size());
    while (!heap_.empty()) {
      peers.push_back(heap_.top());
      heap_.pop();
    }
    std::reverse(peers.begin(), peers.end());
    next_ = peers.empty() ? std::string{} : peers.back();
    std::vector<cursor_entry> result;
    result.reserve(peers.size());
    for (auto& peer : peers) {
      auto x = table.find(peer);
      if (x.value == nullptr)
        continue;
      result.push_back(cursor_entry{std::move(peer), x.value->id.to_string(),
                                    x.value->updated_at, x.durable});
    }
    return result;
  }

  /// After `finish`: the largest candidate (listed or erased meanwhile), the
  /// `after` of the next page; empty for an empty page.
  const std::string& next() const { return next_; }

  /// How often the scan (re)started from bucket 0 (1 without a rehash).
  size_t restarts() const { return restarts_; }

private:
  void offer(const std::string& peer) {
    if (peer <= after_)
      return;
    ++seen_;
    if (heap_.size() < limit_) {
      heap_.push(peer);
    } else if (peer < heap_.top()) {
      heap_.pop();
      heap_.push(peer);
    }
  }

  std::string after_;
  std::string next_;
  uint32_t limit_;
  // The bucket count the current pass started with; 0 before the first.
  size_t bucket_count_ = 0;
  size_t next_bucket_ = 0;
  size_t restarts_ = 0;
  // Peers > after_ met in the current pass.
  size_t seen_ = 0;
  // The `limit_` smallest of them, largest on top.
  std::priority_queue<std::string> heap_;
};

} // namespace cursor
