#pragma once

// A batch of stream entries as XREAD returned them, kept inside hiredis'
// reply: handing a batch from the source reader to the pipeline to the target
// writer copies no entry (the reply is freed when the last holder drops it).
// This is what keeps the tailer within reach of a bare XREAD -> XADD loop
// (docs/PERFORMANCE.md, "Tailer").

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <caf/allowed_unsafe_message_type.hpp>

struct redisReply;

namespace cursor::tailer {

class entry_batch {
public:
  entry_batch() = default;

  /// Wraps `entries`, an array of `[id, [field, value, ...]]` inside the
  /// reply `owner` whose shape was checked (see stream_reply.hpp).
  entry_batch(std::shared_ptr<const redisReply> owner,
              const redisReply* entries);

  size_t size() const;

  bool empty() const { return size() == 0; }

  /// The ID of entry `i`.
  std::string_view id(size_t i) const;

  /// The number of field and value strings of entry `i` (twice the number
  /// of fields).
  size_t field_count(size_t i) const;

  /// Field or value `j` of entry `i`; binary-safe.
  std::string_view field(size_t i, size_t j) const;

  /// The fields and values of entry `i` as one string, equal for two
  /// entries exactly when their fields and values are (fields_key() in
  /// stream_reply.hpp).
  std::string fields_key(size_t i) const;

private:
  std::shared_ptr<const redisReply> owner_;
  const redisReply* entries_ = nullptr;
};

} // namespace cursor::tailer

// Local messages only (reader -> pipeline -> writer), never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cursor::tailer::entry_batch)
