#include "cursor_table.hpp"

#include <algorithm>
#include <cstring>

namespace cursor {

namespace {

// Eight bytes of `s` from `offset` on, big-endian and zero-padded. For
// strings that agree before `offset`, comparing these orders them as the
// strings compare, except that equal keys need a full comparison.
uint64_t sort_key_of(const std::string& s, size_t offset) {
  unsigned char buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (offset < s.size())
    std::memcpy(buf, s.data() + offset, std::min<size_t>(8, s.size() - offset));
  uint64_t result = 0;
  for (auto b : buf)
    result = (result << 8) | b;
  return result;
}

} // namespace

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
  return i == dirty_.end() ? nullptr : &i->second;
}

bool cursor_table::is_erased(const node_type& node) const {
  if (pending_deletes_ == 0)
    return false;
  auto m = mark_of(node);
  return m != nullptr && m->erase;
}

void cursor_table::mark_dirty(const node_type& node, bool erase) {
  auto [i, added] = dirty_.try_emplace(&node);
  auto& m = i->second;
  if (added) {
    m.since = now_();
    m.since_snapshot = m.since;
    // Keep the shared prefix and this peer's sort key up to date while its
    // string is in the cache; the snapshot then rarely touches strings.
    auto& peer = node.first;
    if (dirty_.size() == 1) {
      dirty_prefix_ = peer;
    } else if (peer.compare(0, dirty_prefix_.size(), dirty_prefix_) != 0) {
      size_t n = 0;
      while (n < dirty_prefix_.size() && n < peer.size()
             && peer[n] == dirty_prefix_[n])
        ++n;
      dirty_prefix_.resize(n);
    }
    m.sort_offset = static_cast<uint16_t>(dirty_prefix_.size());
    m.sort_key = sort_key_of(peer, dirty_prefix_.size());
  } else if (m.version <= snapshot_version_) {
    // The first change after the latest snapshot: if that snapshot commits,
    // the mark's age starts here.
    m.since_snapshot = now_();
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
  if (dirty_.empty())
    return std::nullopt;
  auto oldest = dirty_.begin()->second.since;
  for (auto& kvp : dirty_)
    oldest = std::min(oldest, kvp.second.since);
  return oldest;
}

// This runs in the actor, so it must be cheap for 100k entries: the sort
// compares the sort keys the marks carry (eight bytes after the prefix every
// dirty peer shares), and compares whole strings only when two are equal, so
// the order is exactly the strings' order; each entry is then read once, by
// address, into its op.
table_snapshot cursor_table::snapshot() {
  struct item {
    uint64_t key;
    const node_type* node;
    bool erase;
  };
  auto offset = dirty_prefix_.size();
  std::vector<item> items;
  items.reserve(dirty_.size());
  for (auto& [node, m] : dirty_) {
    auto key = m.sort_offset == offset ? m.sort_key
                                       : sort_key_of(node->first, offset);
    items.push_back(item{key, node, m.erase});
  }
  std::sort(items.begin(), items.end(), [](const item& a, const item& b) {
    if (a.key != b.key)
      return a.key < b.key;
    return a.node->first < b.node->first;
  });
  table_snapshot result;
  result.version = next_version_ - 1;
  snapshot_version_ = result.version;
  auto& ops = result.batch.ops;
  ops.resize(items.size());
  for (size_t k = 0; k < items.size(); ++k) {
    auto& [peer, value] = *items[k].node;
    auto& op = ops[k];
    op.peer = peer;
    op.erase = items[k].erase;
    if (!op.erase) {
      op.stream_id = value.id.to_string();
      op.updated_at = value.updated_at;
    }
  }
  return result;
}

void cursor_table::commit(uint64_t version) {
  if (next_version_ - 1 == version && pending_deletes_ == 0) {
    // Nothing changed since the snapshot: every mark is committed.
    dirty_.clear();
    return;
  }
  for (auto i = dirty_.begin(); i != dirty_.end();) {
    auto& m = i->second;
    if (m.version > version) {
      // Changed after the snapshot: what the commit wrote is older, so the
      // change still waiting dates from its first change after the snapshot.
      m.since = m.since_snapshot;
      ++i;
      continue;
    }
    auto node = i->first;
    bool erase = m.erase;
    i = dirty_.erase(i);
    if (erase) {
      // The delete is committed: the entry can go now.
      pending_deletes_ -= 1;
      cursors_.erase(cursors_.find(node->first));
    }
  }
}

} // namespace cursor
