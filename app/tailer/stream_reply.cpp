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

bool fields_ok(const redisReply& fields) {
  if (fields.type == REDIS_REPLY_NIL)
    return true;
  if (fields.type != REDIS_REPLY_ARRAY)
    return false;
  for (size_t j = 0; j < fields.elements; ++j)
    if (!is_text(fields.element[j]))
      return false;
  return true;
}

caf::expected<stream_id> parse_id(const std::string& x, const char* what) {
  auto id = stream_id::parse(x);
  if (!id)
    return caf::make_error(errc::redis_protocol, std::string{"XINFO STREAM: "}
                                                     + what + " '" + x
                                                     + "' is not a stream ID");
  return *id;
}

} // namespace

void append_fields_key(std::string& key, std::string_view field) {
  key += std::to_string(field.size());
  key += ':';
  key += field;
}

std::string fields_key(const redisReply& fields) {
  std::string result;
  if (fields.type == REDIS_REPLY_ARRAY)
    for (size_t j = 0; j < fields.elements; ++j)
      append_fields_key(result, text(fields.element[j]));
  return result;
}

caf::expected<std::optional<std::string>>
parse_entry_at(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY)
    return malformed("XRANGE (entry at the position)");
  if (reply.elements == 0)
    return std::optional<std::string>{};
  if (auto err = check_entries(reply))
    return err;
  return std::optional<std::string>{fields_key(*reply.element[0]->element[1])};
}

caf::expected<target_observation> observe_target(const stream_info& info) {
  target_observation result;
  auto& x = result.state;
  x.exists = info.exists;
  if (!info.exists)
    return result;
  result.has_counters = info.has_entries_added && info.has_max_deleted;
  auto last = parse_id(info.last_generated_id, "last-generated-id");
  if (!last)
    return last.error();
  x.last_id = *last;
  if (info.has_max_deleted) {
    auto md = parse_id(info.max_deleted_id, "max-deleted-entry-id");
    if (!md)
      return md.error();
    x.max_deleted = *md;
  }
  x.length = info.length;
  x.entries_added = info.entries_added;
  if (!info.last_entry_id.empty()) {
    auto id = parse_id(info.last_entry_id, "last-entry");
    if (!id)
      return id.error();
    result.last_entry = *id;
    result.last_entry_fields = info.last_entry_fields;
  }
  return result;
}

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
    } else if (key == "last-entry") {
      if (value->type == REDIS_REPLY_ARRAY && value->elements == 2
          && is_text(value->element[0]) && value->element[1] != nullptr
          && fields_ok(*value->element[1])) {
        result.last_entry_id = std::string{text(value->element[0])};
        result.last_entry_fields = fields_key(*value->element[1]);
      } else if (value->type != REDIS_REPLY_NIL) {
        return malformed("XINFO STREAM (last-entry)");
      }
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
