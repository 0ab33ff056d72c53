#include "tailer/entry_batch.hpp"

#include <hiredis/hiredis.h>

#include "tailer/stream_reply.hpp"

namespace cursor::tailer {

entry_batch::entry_batch(std::shared_ptr<const redisReply> owner,
                         const redisReply* entries)
    : owner_(std::move(owner)), entries_(entries) {
  // nop
}

size_t entry_batch::size() const {
  return entries_ == nullptr ? 0 : entries_->elements;
}

std::string_view entry_batch::id(size_t i) const {
  const auto* x = entries_->element[i]->element[0];
  return {x->str, x->len};
}

size_t entry_batch::field_count(size_t i) const {
  const auto* fields = entries_->element[i]->element[1];
  return fields->type == REDIS_REPLY_ARRAY ? fields->elements : 0;
}

std::string_view entry_batch::field(size_t i, size_t j) const {
  const auto* x = entries_->element[i]->element[1]->element[j];
  return {x->str, x->len};
}

std::string entry_batch::fields_key(size_t i) const {
  return tailer::fields_key(*entries_->element[i]->element[1]);
}

} // namespace cursor::tailer
