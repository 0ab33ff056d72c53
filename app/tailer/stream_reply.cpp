#include "tailer/stream_reply.hpp"

#include <string>
#include <string_view>

#include <hiredis/hiredis.h>

#include "tailer/error.hpp"

namespace cursor::tailer {

namespace {

caf::error malformed(const char* what) {
  return caf::make_error(errc::redis_protocol,
                         std::string{"unexpected reply to "} + what);
}

bool is_text(const redisReply* x) {
  return x != nullptr
         && (x->type == REDIS_REPLY_STRING || x->type == REDIS_REPLY_STATUS);
}

std::string_view text(const redisReply* x) {
  return std::string_view{x->str, x->len};
}

} // namespace

caf::error check_entries(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY)
    return malformed("XRANGE/XREAD (entries)");
  for (size_t i = 0; i < reply.elements; ++i) {
    const auto* entry = reply.element[i];
    if (entry == nullptr || entry->type != REDIS_REPLY_ARRAY
        || entry->elements != 2 || !is_text(entry->element[0])
        || entry->element[1] == nullptr)
      return malformed("XRANGE/XREAD (entry)");
    const auto* fields = entry->element[1];
    if (fields->type == REDIS_REPLY_ARRAY) {
      for (size_t j = 0; j < fields->elements; ++j)
        if (!is_text(fields->element[j]))
          return malformed("XRANGE/XREAD (field)");
    } else if (fields->type != REDIS_REPLY_NIL) {
      return malformed("XRANGE/XREAD (fields)");
    }
  }
  return {};
}

caf::expected<entry_batch> read_batch(std::shared_ptr<const redisReply> owner,
                                      const redisReply& reply) {
  if (reply.type == REDIS_REPLY_NIL)
    return entry_batch{};
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 1)
    return malformed("XREAD");
  const auto* stream = reply.element[0];
  if (stream == nullptr || stream->type != REDIS_REPLY_ARRAY
      || stream->elements != 2 || stream->element[1] == nullptr)
    return malformed("XREAD (stream)");
  if (auto err = check_entries(*stream->element[1]))
    return err;
  return entry_batch{std::move(owner), stream->element[1]};
}

caf::expected<stream_info> parse_xinfo(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements % 2 != 0)
    return malformed("XINFO STREAM");
  stream_info result;
  result.exists = true;
  bool has_last = false;
  for (size_t i = 0; i + 1 < reply.elements; i += 2) {
    const auto* name = reply.element[i];
    const auto* value = reply.element[i + 1];
    if (!is_text(name) || value == nullptr)
      return malformed("XINFO STREAM (field)");
    auto key = text(name);
    if (key == "length") {
      if (value->type != REDIS_REPLY_INTEGER || value->integer < 0)
        return malformed("XINFO STREAM (length)");
      result.length = static_cast<uint64_t>(value->integer);
    } else if (key == "entries-added") {
      if (value->type != REDIS_REPLY_INTEGER || value->integer < 0)
        return malformed("XINFO STREAM (entries-added)");
      result.entries_added = static_cast<uint64_t>(value->integer);
      result.has_entries_added = true;
    } else if (key == "last-generated-id") {
      if (!is_text(value))
        return malformed("XINFO STREAM (last-generated-id)");
      result.last_generated_id = std::string{text(value)};
      has_last = true;
    } else if (key == "max-deleted-entry-id") {
      if (!is_text(value))
        return malformed("XINFO STREAM (max-deleted-entry-id)");
      result.max_deleted_id = std::string{text(value)};
      result.has_max_deleted = true;
    } else if (key == "first-entry") {
      if (value->type == REDIS_REPLY_ARRAY && value->elements == 2
          && is_text(value->element[0]))
        result.first_entry_id = std::string{text(value->element[0])};
      else if (value->type != REDIS_REPLY_NIL)
        return malformed("XINFO STREAM (first-entry)");
    }
  }
  if (!has_last)
    return malformed("XINFO STREAM (no last-generated-id)");
  return result;
}

bool is_no_such_key(const redisReply& reply) {
  return reply.type == REDIS_REPLY_ERROR
         && text(&reply).find("no such key") != std::string_view::npos;
}

} // namespace cursor::tailer
