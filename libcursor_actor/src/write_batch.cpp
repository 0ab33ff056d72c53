#include "write_batch.hpp"

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

void sort_by_peer(std::vector<write_op>& ops) {
  if (ops.size() < 2)
    return;
  // The prefix every peer shares: the keys start after it, so that host-like
  // names ("redis-node-...") do not tie on their first eight bytes.
  size_t prefix = ops[0].peer.size();
  for (auto& op : ops) {
    auto& p = op.peer;
    size_t n = 0;
    auto limit = std::min(prefix, p.size());
    while (n < limit && p[n] == ops[0].peer[n])
      ++n;
    prefix = n;
  }
  struct item {
    uint64_t key;
    uint32_t index;
  };
  std::vector<item> items;
  items.reserve(ops.size());
  for (size_t k = 0; k < ops.size(); ++k)
    items.push_back(
        item{sort_key_of(ops[k].peer, prefix), static_cast<uint32_t>(k)});
  std::sort(items.begin(), items.end(), [&](const item& a, const item& b) {
    if (a.key != b.key)
      return a.key < b.key;
    return ops[a.index].peer < ops[b.index].peer;
  });
  std::vector<write_op> sorted;
  sorted.reserve(ops.size());
  for (auto& x : items)
    sorted.push_back(std::move(ops[x.index]));
  ops = std::move(sorted);
}

} // namespace cursor
