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

caf::error parse_entries(const redisReply& reply,
                         std::vector<stream_entry>& out) {
  if (reply.type != REDIS_REPLY_ARRAY)
    return malformed("XRANGE/XREAD (entries)");
  out.reserve(out.size() + reply.elements);
  for (size_t i = 0; i < reply.elements; ++i) {
    const auto* entry = reply.element[i];
    if (entry == nullptr || entry->type != REDIS_REPLY_ARRAY
        || entry->elements != 2 || !is_text(entry->element[0]))
      return malformed("XRANGE/XREAD (entry)");
    stream_entry x;
    x.id = std::string{text(entry->element[0])};
    const auto* fields = entry->element[1];
    if (fields != nullptr && fields->type == REDIS_REPLY_ARRAY) {
      x.fields.reserve(fields->elements);
      for (size_t j = 0; j < fields->elements; ++j) {
        if (!is_text(fields->element[j]))
          return malformed("XRANGE/XREAD (field)");
        x.fields.emplace_back(text(fields->element[j]));
      }
    } else if (fields == nullptr || fields->type != REDIS_REPLY_NIL) {
      return malformed("XRANGE/XREAD (fields)");
    }
    out.emplace_back(std::move(x));
  }
  return {};
}

caf::error parse_xread(const redisReply& reply,
                       std::vector<stream_entry>& out) {
  if (reply.type == REDIS_REPLY_NIL)
    return {};
  if (reply.type != REDIS_REPLY_ARRAY)
    return malformed("XREAD");
  for (size_t i = 0; i < reply.elements; ++i) {
    const auto* stream = reply.element[i];
    if (stream == nullptr || stream->type != REDIS_REPLY_ARRAY
        || stream->elements != 2 || stream->element[1] == nullptr)
      return malformed("XREAD (stream)");
    if (auto err = parse_entries(*stream->element[1], out))
      return err;
  }
  return {};
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
