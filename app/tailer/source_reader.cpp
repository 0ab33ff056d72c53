#include "tailer/source_reader.hpp"

#include <optional>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <hiredis/hiredis.h>

#include "tailer/error.hpp"
#include "tailer/redis_connection.hpp"
#include "tailer/stream_reply.hpp"

namespace cursor::tailer {

namespace {

struct reader_state {
  source_options opts;
  std::optional<redis_connection> conn;
  std::string count;
  std::string block_ms;

  static inline const char* name = "source_reader";
};

using reader_pointer = source_reader_actor::stateful_pointer<reader_state>;

// MULTI; XINFO STREAM key; XRANGE key position position; XREAD COUNT n
// STREAMS key after; EXEC. Redis runs them inside EXEC with nothing in
// between, so `info` and the entry at the position describe the very stream
// the entries came from.
caf::expected<read_result> snapshot(reader_state& st, const std::string& after,
                                    const std::string& position) {
  auto& c = *st.conn;
  if (auto err = c.set_io_timeout(st.opts.io_timeout))
    return err;
  const auto& key = st.opts.stream;
  bool anchored = position != "0";
  c.append({"MULTI"});
  c.append({"XINFO", "STREAM", key});
  if (anchored)
    c.append({"XRANGE", key, position, position});
  c.append({"XREAD", "COUNT", st.count, "STREAMS", key, after});
  c.append({"EXEC"});
  caf::error refused;
  const char* names[]
      = {"MULTI", "XINFO STREAM", anchored ? "XRANGE" : "XREAD", "XREAD"};
  for (size_t i = 0; i < (anchored ? 4u : 3u); ++i) {
    auto reply = c.read_reply();
    if (!reply)
      return reply.error();
    if ((*reply)->type == REDIS_REPLY_ERROR && !refused)
      refused = reply_error(**reply, names[i], c.where());
  }
  auto exec = c.read_reply();
  if (!exec)
    return exec.error();
  if (refused)
    return refused;
  const auto& r = **exec;
  if (r.type == REDIS_REPLY_ERROR)
    return reply_error(r, "EXEC", c.where());
  size_t expected = anchored ? 3 : 2;
  if (r.type != REDIS_REPLY_ARRAY || r.elements != expected)
    return caf::make_error(errc::redis_protocol,
                           "unexpected reply to EXEC from Redis at "
                               + c.where().to_string());
  read_result result;
  // The batch keeps the whole EXEC reply alive; nothing is copied.
  std::shared_ptr<const redisReply> owner{exec->release(), reply_deleter{}};
  const auto& xinfo = *r.element[0];
  if (is_no_such_key(xinfo)) {
    result.info.exists = false;
  } else if (xinfo.type == REDIS_REPLY_ERROR
             && error_text(xinfo).rfind("WRONGTYPE", 0) == 0) {
    // The stream is gone as surely as after a DEL; the pipeline judges.
    result.wrong_type = true;
    return result;
  } else if (xinfo.type == REDIS_REPLY_ERROR) {
    return reply_error(xinfo, "XINFO STREAM", c.where());
  } else {
    auto info = parse_xinfo(xinfo);
    if (!info)
      return info.error();
    result.info = std::move(*info);
  }
  if (anchored && result.info.exists) {
    const auto& xrange = *r.element[1];
    if (xrange.type == REDIS_REPLY_ERROR)
      return reply_error(xrange, "XRANGE", c.where());
    auto at = parse_entry_at(xrange);
    if (!at)
      return at.error();
    result.at_position = std::move(*at);
  }
  const auto& xread = *r.element[expected - 1];
  if (xread.type == REDIS_REPLY_ERROR)
    return reply_error(xread, "XREAD", c.where());
  auto batch = read_batch(std::move(owner), xread);
  if (!batch)
    return std::move(batch.error());
  result.entries = std::move(*batch);
  return result;
}

// XREAD COUNT 1 BLOCK ms STREAMS key after: returns whether an entry came.
caf::expected<bool> wait_for_entry(reader_state& st, const std::string& after) {
  auto& c = *st.conn;
  if (auto err = c.set_io_timeout(st.opts.block + st.opts.io_timeout))
    return err;
  auto reply = c.run({"XREAD", "COUNT", "1", "BLOCK", st.block_ms, "STREAMS",
                      st.opts.stream, after});
  if (!reply)
    return reply.error();
  return (*reply)->type != REDIS_REPLY_NIL;
}

caf::expected<read_result> read_after(reader_state& st,
                                      const std::string& after,
                                      const std::string& position) {
  if (!st.conn || st.conn->broken()) {
    st.conn.reset();
    auto conn = redis_connection::open(st.opts.where, st.opts.connect_timeout,
                                       st.opts.io_timeout);
    if (!conn)
      return conn.error();
    st.conn.emplace(std::move(*conn));
  }
  auto result = snapshot(st, after, position);
  if (result && result->entries.empty() && !result->wrong_type) {
    auto came = wait_for_entry(st, after);
    if (!came)
      return came.error();
    if (*came)
      result = snapshot(st, after, position);
  }
  return result;
}

source_reader_actor::behavior_type reader(reader_pointer self,
                                          source_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.count = std::to_string(st.opts.count);
  st.block_ms = std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(st.opts.block)
          .count());
  self->set_error_handler([](caf::error&) {
    // A stray error message must not end the reader.
  });
  return {
      [self](read_atom, const std::string& after,
             const std::string& position) -> caf::result<read_result> {
        auto& st = self->state;
        auto result = read_after(st, after, position);
        if (!result) {
          if (st.conn && st.conn->broken())
            st.conn.reset();
          return std::move(result.error());
        }
        return std::move(*result);
      },
  };
}

} // namespace

source_reader_actor spawn_source_reader(caf::actor_system& sys,
                                        source_options opts, bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(reader, std::move(opts));
  return sys.spawn(reader, std::move(opts));
}

} // namespace cursor::tailer
