#include "tailer/target_writer.hpp"

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

struct writer_state {
  target_options opts;
  std::optional<redis_connection> conn;
  // Reused between batches: the argument vectors of one XADD.
  std::vector<const char*> argv;
  std::vector<size_t> lengths;

  static inline const char* name = "target_writer";
};

using writer_pointer = target_writer_actor::stateful_pointer<writer_state>;

caf::error ensure_connected(writer_state& st) {
  if (st.conn && !st.conn->broken())
    return {};
  st.conn.reset();
  auto conn = redis_connection::open(st.opts.where, st.opts.connect_timeout,
                                     st.opts.io_timeout);
  if (!conn)
    return std::move(conn.error());
  st.conn.emplace(std::move(*conn));
  return {};
}

apply_result apply(writer_state& st, const entry_batch& xs) {
  apply_result result;
  if (auto err = ensure_connected(st)) {
    result.error = std::move(err);
    return result;
  }
  auto& c = *st.conn;
  auto n = xs.size();
  for (size_t i = 0; i < n; ++i) {
    st.argv.clear();
    st.lengths.clear();
    st.argv.push_back("XADD");
    st.lengths.push_back(4);
    st.argv.push_back(st.opts.stream.data());
    st.lengths.push_back(st.opts.stream.size());
    auto id = xs.id(i);
    st.argv.push_back(id.data());
    st.lengths.push_back(id.size());
    for (size_t j = 0, m = xs.field_count(i); j < m; ++j) {
      auto f = xs.field(i, j);
      st.argv.push_back(f.data());
      st.lengths.push_back(f.size());
    }
    c.append(st.argv.size(), st.argv.data(), st.lengths.data());
  }
  // Replies come in order. After the first refusal other than a duplicate,
  // nothing later may have reached the target; if something did, the target
  // now misses an entry and no retry can put it back in place.
  std::string failed;
  size_t last_ok = n;
  for (size_t i = 0; i < n; ++i) {
    auto reply = c.read_reply();
    if (!reply) {
      if (!result.error)
        result.error = std::move(reply.error());
      break;
    }
    const auto& r = **reply;
    bool duplicate = false;
    if (r.type == REDIS_REPLY_ERROR) {
      duplicate = is_duplicate_refusal(error_text(r));
      if (!duplicate) {
        if (failed.empty()) {
          failed = std::string{xs.id(i)};
          result.error = reply_error(r, "XADD " + failed, c.where());
        }
        continue;
      }
    } else if (r.type != REDIS_REPLY_STRING) {
      if (failed.empty()) {
        failed = std::string{xs.id(i)};
        result.error
            = caf::make_error(errc::redis_protocol,
                              "unexpected reply to XADD " + failed
                                  + " from Redis at " + c.where().to_string());
      }
      continue;
    }
    if (!failed.empty()) {
      // Keep reading the remaining replies: the connection stays in sync.
      // A duplicate after the failure is no hole: that entry, and so every
      // entry before it, reached the target in an earlier round.
      if (!duplicate && !is(result.error, errc::target_hole))
        result.error = caf::make_error(
            errc::target_hole,
            "XADD " + failed + " to '" + st.opts.stream + "' at "
                + c.where().to_string() + " failed (" + describe(result.error)
                + ") but the later entry " + std::string{xs.id(i)}
                + " reached the target: the target stream misses " + failed);
      continue;
    }
    if (duplicate)
      ++result.duplicates;
    else
      ++result.applied;
    last_ok = i;
  }
  if (last_ok < n)
    result.last_id = std::string{xs.id(last_ok)};
  return result;
}

caf::expected<stream_info> probe(writer_state& st) {
  if (auto err = ensure_connected(st))
    return err;
  auto& c = *st.conn;
  c.append({"XINFO", "STREAM", st.opts.stream});
  auto reply = c.read_reply();
  if (!reply)
    return std::move(reply.error());
  if (is_no_such_key(**reply))
    return stream_info{};
  if ((*reply)->type == REDIS_REPLY_ERROR)
    return reply_error(**reply, "XINFO STREAM", c.where());
  return parse_xinfo(**reply);
}

target_writer_actor::behavior_type writer(writer_pointer self,
                                          target_options opts) {
  self->state.opts = std::move(opts);
  self->set_error_handler([](caf::error&) {
    // A stray error message must not end the writer.
  });
  return {
      [self](apply_atom, const entry_batch& xs) {
        auto& st = self->state;
        auto result = apply(st, xs);
        if (st.conn && st.conn->broken())
          st.conn.reset();
        return result;
      },
      [self](probe_atom) -> caf::result<stream_info> {
        auto& st = self->state;
        auto result = probe(st);
        if (st.conn && st.conn->broken())
          st.conn.reset();
        if (!result)
          return std::move(result.error());
        return std::move(*result);
      },
  };
}

} // namespace

target_writer_actor spawn_target_writer(caf::actor_system& sys,
                                        target_options opts, bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(writer, std::move(opts));
  return sys.spawn(writer, std::move(opts));
}

bool is_duplicate_refusal(std::string_view message) {
  return message.find("equal or smaller than the target stream top item")
         != std::string_view::npos;
}

} // namespace cursor::tailer
