#include "cursor_table.hpp"

#include <algorithm>
#include <limits>

namespace cursor {

cursor_table::cursor_table(clock_function now) : now_(std::move(now)) {
  // nop
}

void cursor_table::reserve(size_t n) {
  cursors_.reserve(n);
}

bool cursor_table::load(std::string peer, cursor_value value) {
  return cursors_.emplace(std::move(peer), value).second;
}

const cursor_table::mark* cursor_table::mark_of(const node_type& node) const {
  if (dirty_.empty())
    return nullptr;
  auto i = dirty_.find(&node);
  if (i == dirty_.end())
    return nullptr;
  // A committed set reads as clean; a committed delete stays hidden until
  // its entry is dropped.
  if (covered(i->second) && !i->second.erase)
    return nullptr;
  return &i->second;
}

bool cursor_table::is_erased(const node_type& node) const {
  if (pending_deletes_ == 0)
    return false;
  auto m = mark_of(node);
  return m != nullptr && m->erase;
}

void cursor_table::push(chunk_list& list, const node_type* node) {
  if (list.empty() || list.back().size() >= chunk_size)
    list.emplace_back();
  list.back().push_back(node);
}

void cursor_table::splice(chunk_list& to, chunk_list& from) {
  for (auto& c : from)
    if (!c.empty())
      to.push_back(std::move(c));
  from.clear();
}

const cursor_table::node_type* cursor_table::pop(chunk_list& list) {
  while (!list.empty() && list.back().empty())
    list.pop_back();
  if (list.empty())
    return nullptr;
  auto node = list.back().back();
  list.back().pop_back();
  if (list.back().empty())
    list.pop_back();
  return node;
}

namespace {

void lower(std::optional<cursor_table::time_point>& x,
           cursor_table::time_point t) {
  if (!x || t < *x)
    x = t;
}

} // namespace

void cursor_table::mark_dirty(const node_type& node, bool erase) {
  auto [i, added] = dirty_.try_emplace(&node);
  auto& m = i->second;
  if (added) {
    if (order_on_)
      index(node, m);
    m.since = now_();
    m.since_snapshot = m.since;
    lower(order_min_, m.since);
    push(order_, &node);
  } else if (covered(m)) {
    // Committed but not cleared yet: a fresh change, dirty from now on. Its
    // node stays in the list that holds it.
    covered_remaining_ -= 1;
    m.since = now_();
    m.since_snapshot = m.since;
    lower(post_min_, m.since);
  } else if (m.version <= snapshot_version_) {
    // The first change after the latest snapshot: if that snapshot commits,
    // the mark's age starts here.
    m.since_snapshot = now_();
    lower(post_min_, m.since_snapshot);
    if (m.sent_round == round_)
      sent_covered_ -= 1;
  }
  m.version = next_version_++;
  if (m.erase != erase) {
    m.erase = erase;
    if (erase)
      pending_deletes_ += 1;
    else
      pending_deletes_ -= 1;
  }
}
set_outcome cursor_table::set(const std::string& peer, stream_id id,
                              int64_t updated_at, bool force,
                              stream_id* current) {
  expected_value found;
  auto out = apply(peer, nullptr, id, updated_at, force, found);
  if (out == set_outcome::regression && current != nullptr)
    *current = *found;
  return out;
}

set_outcome cursor_table::set_if(const std::string& peer,
                                 const expected_value& expected, stream_id id,
                                 int64_t updated_at, bool force,
                                 expected_value* found) {
  expected_value met;
  auto out = apply(peer, &expected, id, updated_at, force, met);
  if (found != nullptr)
    *found = met;
  return out;
}

set_outcome cursor_table::apply(const std::string& peer,
                                const expected_value* expected, stream_id id,
                                int64_t updated_at, bool force,
                                expected_value& found) {
  // One hash lookup finds or makes the entry; a refusal removes an entry it
  // made (only a conditional set expecting a value can refuse a new peer).
  auto [i, added] = cursors_.try_emplace(peer);
  auto& node = *i;
  bool present = !added && !is_erased(node);
  auto out = decide(present ? &node.second.id : nullptr, id, force, expected);
  if (out == set_outcome::changed) {
    node.second = cursor_value{id, updated_at};
    mark_dirty(node, false);
    return out;
  }
  if (present)
    found = node.second.id;
  if (added)
    cursors_.erase(i);
  return out;
}

set_outcome cursor_table::decide(const stream_id* current, stream_id id,
                                 bool force, const expected_value* expected) {
  if (expected != nullptr) {
    bool met = current == nullptr
                   ? !expected->has_value()
                   : expected->has_value() && **expected == *current;
    if (!met)
      return set_outcome::conflict;
  }
  if (current == nullptr)
    return set_outcome::changed;
  if (*current == id)
    return set_outcome::unchanged;
  if (!force && id < *current)
    return set_outcome::regression;
  return set_outcome::changed;
}

batch_outcome
cursor_table::set_all(const std::vector<std::string>& peers,
                      const std::vector<stream_id>& ids, int64_t updated_at,
                      bool force, const std::vector<expected_value>* expected) {
  struct undo {
    node_type* node;
    bool added;
    cursor_value old;
  };
  batch_outcome result;
  auto n = peers.size();
  std::vector<undo> applied;
  applied.reserve(n);
  // Marks change only once the whole batch passed, so a peer hidden by a
  // pending delete still looks erased after an earlier entry of this batch
  // set it; these are the peers for which that is so: present from then on.
  std::unordered_set<const node_type*> revived;
  for (size_t k = 0; k < n; ++k) {
    auto [i, added] = cursors_.try_emplace(peers[k]);
    auto& node = *i;
    bool hidden = !added && is_erased(node) && revived.count(&node) == 0;
    bool present = !added && !hidden;
    auto out = decide(present ? &node.second.id : nullptr, ids[k], force,
                      expected != nullptr ? &(*expected)[k] : nullptr);
    if (out == set_outcome::unchanged)
      continue;
    if (out != set_outcome::changed) {
      result.refused = k;
      result.reason = out;
      if (present)
        result.found = node.second.id;
      if (added)
        cursors_.erase(i);
      // Undo in reverse order: a peer set twice gets its first old value
      // back last, and an entry this batch added is removed.
      for (auto u = applied.rbegin(); u != applied.rend(); ++u) {
        if (u->added)
          cursors_.erase(cursors_.find(u->node->first));
        else
          u->node->second = u->old;
      }
      return result;
    }
    if (hidden)
      revived.insert(&node);
    applied.push_back(undo{&node, added, node.second});
    node.second = cursor_value{ids[k], updated_at};
  }
  // Only now, when every entry passed, are they marked dirty.
  for (auto& u : applied)
    mark_dirty(*u.node, false);
  result.refused = n;
  result.changed = applied.size();
  return result;
}

erase_outcome cursor_table::erase(const std::string& peer) {
  auto i = cursors_.find(peer);
  if (i == cursors_.end())
    return erase_outcome::unknown; // memory mirrors the table
  bool visible = !is_erased(*i);
  mark_dirty(*i, true);
  return visible ? erase_outcome::erased : erase_outcome::erased_again;
}

cursor_table::lookup cursor_table::find(const std::string& peer) const {
  auto i = cursors_.find(peer);
  if (i == cursors_.end())
    return {};
  auto m = mark_of(*i);
  if (m != nullptr && m->erase)
    return {};
  return {&i->second, m == nullptr};
}

std::optional<cursor_table::time_point> cursor_table::oldest_dirty() const {
  if (clean())
    return std::nullopt;
  std::optional<time_point> oldest = frozen_min_;
  for (auto& x : {order_min_, post_min_})
    if (x)
      lower(oldest, *x);
  return oldest;
}

uint64_t cursor_table::freeze() {
  round_ += 1;
  sent_covered_ = 0;
  // Every dirty peer, whichever list holds it: a round abandoned half-sent
  // or failed is simply taken again, with the values of now.
  splice(input_, sent_);
  splice(input_, committing_);
  splice(input_, order_);
  frozen_min_ = oldest_dirty();
  order_min_.reset();
  post_min_.reset();
  snapshot_version_ = next_version_ - 1;
  return snapshot_version_;
}

cursor_table::mark* cursor_table::pop_mark(chunk_list& list,
                                           const node_type*& node) {
  node = pop(list);
  if (node == nullptr)
    return nullptr;
  auto i = dirty_.find(node);
  if (covered(i->second)) {
    // Committed: cleared here, whoever meets it first (a clearing slice, or
    // the pieces of a round frozen before the clearing reached it).
    settle(i);
    return nullptr;
  }
  return &i->second;
}

bool cursor_table::next_piece(size_t max, std::vector<write_op>& out) {
  for (size_t n = 0; n < max; ++n) {
    const node_type* node = nullptr;
    auto mp = pop_mark(input_, node);
    if (node == nullptr)
      break;
    if (mp == nullptr)
      continue;
    auto& m = *mp;
    write_op op;
    op.peer = node->first;
    op.erase = m.erase;
    if (!op.erase) {
      op.stream_id = node->second.id.to_string();
      op.updated_at = node->second.updated_at;
    }
    out.push_back(std::move(op));
    m.sent_round = round_;
    if (m.version <= snapshot_version_)
      sent_covered_ += 1;
    push(sent_, node);
  }
  while (!input_.empty() && input_.back().empty())
    input_.pop_back();
  return !input_.empty();
}

void cursor_table::begin_commit(uint64_t version) {
  // Every mark with a version <= `version` was frozen and sent in this
  // round (changes after the freeze have higher versions): those still at
  // their sent version are what the commit covers.
  covered_ = version;
  // The frozen peers that stay dirty changed after the freeze: their age
  // restarts at that change, which post_min_ holds.
  frozen_min_.reset();
  covered_remaining_ += sent_covered_;
  sent_covered_ = 0;
  splice(committing_, sent_);
}

void cursor_table::settle(
    std::unordered_map<const node_type*, mark>::iterator i) {
  auto node = i->first;
  bool erase = i->second.erase;
  if (indexed(i->second))
    dirty_order_.erase(i->second.order);
  dirty_.erase(i);
  covered_remaining_ -= 1;
  if (erase) {
    // The delete is committed: the entry can go now.
    pending_deletes_ -= 1;
    cursors_.erase(cursors_.find(node->first));
  }
}

void cursor_table::index(const node_type& node, mark& m) {
  m.order = dirty_order_.insert(&node).first;
  m.order_epoch = order_epoch_;
}

bool cursor_table::build_order(size_t buckets) {
  if (!order_on_) {
    // The set is empty here (dropped only when small, see below): a fresh
    // epoch makes every mark unindexed without visiting it.
    order_on_ = true;
    order_built_ = false;
    order_buckets_ = 0;
  }
  if (order_built_)
    return true;
  if (dirty_.size() <= chunk_size) {
    // Few marks: all of them now (the buckets may be many more: the map
    // keeps its largest bucket count).
    for (auto& [node, m] : dirty_)
      if (!indexed(m))
        index(*node, m);
    order_built_ = true;
    return true;
  }
  if (dirty_.bucket_count() != order_buckets_) {
    order_buckets_ = dirty_.bucket_count();
    order_next_bucket_ = 0;
  }
  auto last = std::min(order_buckets_,
                       order_next_bucket_ + std::max<size_t>(buckets, 1));
  for (auto b = order_next_bucket_; b < last; ++b)
    for (auto i = dirty_.begin(b); i != dirty_.end(b); ++i)
      if (!indexed(i->second))
        index(*i->first, i->second);
  order_next_bucket_ = last;
  order_built_ = order_next_bucket_ >= order_buckets_;
  return order_built_;
}

void cursor_table::release_order() {
  if (order_holders_ > 0)
    --order_holders_;
}

void cursor_table::drop_order_if_unused() {
  if (!order_on_ || order_holders_ > 0 || dirty_order_.size() > chunk_size)
    return;
  dirty_order_.clear();
  order_on_ = false;
  order_built_ = false;
  ++order_epoch_;
}

bool cursor_table::commit_slice(size_t max) {
  for (size_t n = 0; n < max; ++n) {
    const node_type* node = nullptr;
    auto m = pop_mark(committing_, node);
    if (node == nullptr)
      break;
    if (m == nullptr)
      continue;
    // Changed after the snapshot: what the commit wrote is older, so the
    // change still waiting dates from its first change after the snapshot.
    m->since = m->since_snapshot;
    push(order_, node);
  }
  drop_order_if_unused();
  return !committing_.empty();
}

table_snapshot cursor_table::snapshot() {
  table_snapshot result;
  result.version = freeze();
  while (next_piece(std::numeric_limits<size_t>::max(), result.batch.ops)) {
    // nop
  }
  sort_by_peer(result.batch.ops);
  return result;
}

void cursor_table::commit(uint64_t version) {
  begin_commit(version);
  while (commit_slice(std::numeric_limits<size_t>::max())) {
    // nop
  }
}

} // namespace cursor
