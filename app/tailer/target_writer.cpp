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
  /// "host:port stream 'key'", for messages.
  std::string target_name;
  std::optional<redis_connection> conn;
  // Reused between batches: the argument vectors of one XADD.
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  /// Whether the connection holds a WATCH on the stream, set while the
  /// stream was in state `watched`: anything written to it since makes the
  /// next EXEC write nothing.
  bool watching = false;
  target_state watched;

  static inline const char* name = "target_writer";
};

using writer_pointer = target_writer_actor::stateful_pointer<writer_state>;

caf::error ensure_connected(writer_state& st) {
  if (st.conn && !st.conn->broken())
    return {};
  st.conn.reset();
  st.watching = false;
  auto conn = redis_connection::open(st.opts.where, st.opts.connect_timeout,
                                     st.opts.io_timeout);
  if (!conn)
    return std::move(conn.error());
  st.conn.emplace(std::move(*conn));
  return {};
}

caf::error protocol_error(writer_state& st, const std::string& what) {
  return caf::make_error(errc::redis_protocol,
                         "unexpected reply to " + what + " from Redis at "
                             + st.conn->where().to_string());
}

// One reply to XINFO STREAM as an observation: a missing key and another
// type are observations too.
caf::expected<target_observation> observation(writer_state& st,
                                              const redisReply& reply) {
  if (is_no_such_key(reply))
    return target_observation{};
  if (reply.type == REDIS_REPLY_ERROR) {
    if (error_text(reply).rfind("WRONGTYPE", 0) == 0) {
      target_observation result;
      result.state.exists = true;
      result.wrong_type = true;
      return result;
    }
    return reply_error(reply, "XINFO STREAM", st.conn->where());
  }
  auto info = parse_xinfo(reply);
  if (!info)
    return info.error();
  return observe_target(*info);
}

caf::expected<target_observation> read_observation(writer_state& st) {
  auto reply = st.conn->read_reply();
  if (!reply)
    return reply.error();
  return observation(st, **reply);
}

caf::error check(writer_state& st, const target_state& expected,
                 const target_observation& seen) {
  if (auto verdict = check_target(expected, seen))
    return target_fault_error(verdict, st.target_name);
  return {};
}

// WATCH + XINFO STREAM: the stream must be in state `expected`; from here on
// the next EXEC writes nothing if anyone touches it.
caf::error watch(writer_state& st, const target_state& expected) {
  auto& c = *st.conn;
  st.watching = false;
  // UNWATCH first: a WATCH armed earlier and touched since would make the
  // next EXEC write nothing even though the state checked below is right.
  c.append({"UNWATCH"});
  c.append({"WATCH", st.opts.stream});
  c.append({"XINFO", "STREAM", st.opts.stream});
  auto unwatched = c.read_reply();
  if (!unwatched)
    return std::move(unwatched.error());
  auto ok = c.read_reply();
  if (!ok)
    return std::move(ok.error());
  auto seen = read_observation(st);
  if ((*ok)->type == REDIS_REPLY_ERROR)
    return reply_error(**ok, "WATCH", c.where());
  if (!seen)
    return std::move(seen.error());
  if (auto err = check(st, expected, *seen))
    return err;
  st.watching = true;
  st.watched = expected;
  return {};
}

caf::expected<stream_id> entry_id(const entry_batch& xs, size_t i) {
  auto id = stream_id::parse(xs.id(i));
  if (!id)
    return caf::make_error(errc::redis_protocol, "entry ID '"
                                                     + std::string{xs.id(i)}
                                                     + "' is not a stream ID");
  return *id;
}

// Entries 0 .. n-1 of `xs` are at or below the target's last ID: each must
// be in the target with the same fields. The target may hold more entries
// in that range (the source deleted them after they were copied).
caf::error compare_duplicates(writer_state& st, const entry_batch& xs,
                              size_t n) {
  auto& c = *st.conn;
  auto reply = c.run({"XRANGE", st.opts.stream, xs.id(0), xs.id(n - 1)});
  if (!reply)
    return std::move(reply.error());
  const auto& r = **reply;
  if (auto err = check_entries(r))
    return err;
  size_t j = 0;
  for (size_t i = 0; i < n; ++i) {
    auto want = entry_id(xs, i);
    if (!want)
      return want.error();
    std::optional<stream_id> have;
    while (j < r.elements) {
      const auto* idr = r.element[j]->element[0];
      auto id = stream_id::parse(std::string_view{idr->str, idr->len});
      if (!id)
        return protocol_error(st, "XRANGE");
      if (!(*id < *want)) {
        have = *id;
        break;
      }
      ++j;
    }
    auto what = "the entry " + want->to_string()
                + ", read again from the source after a restart, ";
    if (!have || *have != *want)
      return caf::make_error(
          errc::diverged,
          "the target " + st.target_name + ": " + what
              + "is not in the target although the target ends beyond it: "
                "the source was recreated, or another writer wrote the "
                "target");
    if (fields_key(*r.element[j]->element[1]) != xs.fields_key(i))
      return caf::make_error(
          errc::diverged,
          "the target " + st.target_name + ": " + what
              + "has other fields in the target: the source was recreated, "
                "or another writer wrote the target");
    ++j;
  }
  return {};
}

void append_xadd(writer_state& st, const entry_batch& xs, size_t i,
                 bool nomkstream) {
  st.argv.clear();
  st.lengths.clear();
  auto push = [&](std::string_view x) {
    st.argv.push_back(x.data());
    st.lengths.push_back(x.size());
  };
  push("XADD");
  push(st.opts.stream);
  if (nomkstream)
    push("NOMKSTREAM");
  push(xs.id(i));
  for (size_t j = 0, m = xs.field_count(i); j < m; ++j)
    push(xs.field(i, j));
  st.conn->append(st.argv.size(), st.argv.data(), st.lengths.data());
}

apply_result apply(writer_state& st, const entry_batch& xs,
                   const target_state& expected, uint64_t skipped) {
  apply_result result;
  result.state = expected;
  if (auto err = ensure_connected(st)) {
    result.error = std::move(err);
    return result;
  }
  if (!st.watching || st.watched != expected) {
    if (auto err = watch(st, expected)) {
      result.error = std::move(err);
      return result;
    }
  }
  auto& c = *st.conn;
  auto n = xs.size();
  // Entries come in ID order: the ones at or below the target's last ID
  // come first.
  size_t first_new = 0;
  for (; first_new < n; ++first_new) {
    auto id = entry_id(xs, first_new);
    if (!id) {
      result.error = std::move(id.error());
      return result;
    }
    if (!expected.exists || expected.last_id < *id)
      break;
  }
  if (first_new > 0) {
    if (auto err = compare_duplicates(st, xs, first_new)) {
      result.error = std::move(err);
      return result;
    }
  }
  result.duplicates = first_new;
  auto added = n - first_new;
  bool set_skipped
      = skipped != expected.skipped() && (expected.exists || added > 0);
  if (added == 0 && !set_skipped) {
    if (n > 0)
      result.last_id = std::string{xs.id(n - 1)};
    return result;
  }
  target_state predicted = expected;
  if (added > 0) {
    auto last = entry_id(xs, n - 1);
    if (!last) {
      result.error = std::move(last.error());
      return result;
    }
    predicted = after_apply(expected, added, *last, skipped);
  } else {
    predicted = after_apply(expected, 0, expected.last_id, skipped);
  }
  // XSETID goes where the stream exists and the ID is its last one: first,
  // or right after the first XADD into a new stream.
  auto append_xsetid = [&](std::string_view last) {
    auto md = stream_id{0, skipped}.to_string();
    if (md == "0")
      md = "0-0";
    c.append({"XSETID", st.opts.stream, last, "MAXDELETEDID", md});
  };
  std::string first_id = added > 0 ? std::string{xs.id(first_new)} : "";
  auto current_last = expected.last_id.to_string();
  if (current_last == "0")
    current_last = "0-0";
  size_t queued = 0;
  c.append({"MULTI"});
  if (set_skipped && expected.exists) {
    append_xsetid(current_last);
    ++queued;
  }
  for (size_t i = first_new; i < n; ++i) {
    append_xadd(st, xs, i, expected.exists);
    ++queued;
    if (i == first_new && set_skipped && !expected.exists) {
      append_xsetid(first_id);
      ++queued;
    }
  }
  c.append({"XINFO", "STREAM", st.opts.stream});
  ++queued;
  c.append({"EXEC"});
  c.append({"WATCH", st.opts.stream});
  c.append({"XINFO", "STREAM", st.opts.stream});
  st.watching = false;
  // MULTI and the queued commands: +OK / +QUEUED, or an error refusing the
  // command (OOM, READONLY, ...), which makes EXEC refuse the transaction.
  caf::error refused;
  for (size_t i = 0; i < queued + 1; ++i) {
    auto reply = c.read_reply();
    if (!reply) {
      result.error = std::move(reply.error());
      return result;
    }
    if ((*reply)->type == REDIS_REPLY_ERROR && !refused)
      refused = reply_error(**reply, i == 0 ? "MULTI" : "a queued command",
                            c.where());
  }
  auto exec = c.read_reply();
  if (!exec) {
    // Sent, the answer lost: the target holds the batch or not (the
    // pipeline's next check accepts either).
    result.error = std::move(exec.error());
    return result;
  }
  // The WATCH after EXEC and the state it guards.
  auto watch_ok = c.read_reply();
  if (!watch_ok) {
    result.error = std::move(watch_ok.error());
    return result;
  }
  auto now = read_observation(st);
  if (!now) {
    result.error = std::move(now.error());
    return result;
  }
  const auto& r = **exec;
  if (r.type == REDIS_REPLY_NIL) {
    // The stream was touched after the WATCH: nothing was written. What
    // touched it shows in the state now.
    if (auto err = check(st, expected, *now)) {
      result.error = std::move(err);
      return result;
    }
    st.watching = (*watch_ok)->type != REDIS_REPLY_ERROR;
    st.watched = expected;
    result.error = caf::make_error(
        errc::redis_error, "the transaction on the target " + st.target_name
                               + " was aborted: another client touched the "
                                 "stream without changing it; retrying");
    return result;
  }
  if (r.type == REDIS_REPLY_ERROR) {
    result.error
        = refused ? std::move(refused) : reply_error(r, "EXEC", c.where());
    return result;
  }
  if (r.type != REDIS_REPLY_ARRAY || r.elements != queued) {
    result.error = protocol_error(st, "EXEC");
    return result;
  }
  // Inside EXEC: every XADD answers its ID, XSETID OK, then the state.
  // WATCH lets only XSETID through (Redis 7.0 does not count it as a write),
  // so a refusal here means the target was changed under the batch.
  auto failed = [](const redisReply& x) {
    return x.type == REDIS_REPLY_ERROR || x.type == REDIS_REPLY_NIL;
  };
  for (size_t i = 0; i + 1 < queued; ++i) {
    const auto& x = *r.element[i];
    if (!failed(x))
      continue;
    auto text = x.type == REDIS_REPLY_NIL
                    ? std::string{"an XADD NOMKSTREAM found no stream"}
                    : error_text(x);
    bool later = false;
    for (size_t j = i + 1; j + 1 < queued; ++j)
      later = later || !failed(*r.element[j]);
    bool moved = is_duplicate_refusal(text);
    result.error = caf::make_error(
        moved && !later ? errc::target_foreign : errc::target_hole,
        "the target " + st.target_name
            + ": inside the transaction of a batch: " + text
            + (later   ? ", while a later command of the batch succeeded: the "
                         "target misses an entry"
               : moved ? ": another writer moved the stream's last ID (XSETID)"
                       : ": the batch is partly written"));
    return result;
  }
  auto post = observation(st, *r.element[queued - 1]);
  if (!post) {
    result.error = std::move(post.error());
    return result;
  }
  if (auto err = check(st, predicted, *post)) {
    result.error = std::move(err);
    return result;
  }
  result.applied = added;
  result.last_id = std::string{xs.id(n - 1)};
  result.state = predicted;
  // A write between EXEC and this WATCH shows here; the next batch checks
  // again and reports it.
  if ((*watch_ok)->type != REDIS_REPLY_ERROR
      && !check_target(predicted, *now)) {
    st.watching = true;
    st.watched = predicted;
  }
  return result;
}

// XINFO STREAM as it is. Reading is safe to repeat: a connection that broke
// before it was used (the target Redis restarted since the last batch) is
// replaced once, so that the check at the stop does not fail on it.
caf::expected<target_observation> probe(writer_state& st) {
  for (int attempt = 0;; ++attempt) {
    bool fresh = !st.conn || st.conn->broken();
    if (auto err = ensure_connected(st))
      return err;
    st.conn->append({"XINFO", "STREAM", st.opts.stream});
    auto seen = read_observation(st);
    if (seen || fresh || attempt > 0 || !is(seen.error(), errc::redis_io))
      return seen;
    st.conn.reset();
  }
}

target_writer_actor::behavior_type writer(writer_pointer self,
                                          target_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.target_name
      = st.opts.where.to_string() + " stream '" + st.opts.stream + "'";
  self->set_error_handler([](caf::error&) {
    // A stray error message must not end the writer.
  });
  return {
      [self](apply_atom, const entry_batch& xs, const target_state& expected,
             uint64_t skipped) {
        auto& st = self->state;
        auto result = apply(st, xs, expected, skipped);
        if (st.conn && st.conn->broken())
          st.conn.reset();
        return result;
      },
      [self](probe_atom) -> caf::result<target_observation> {
        auto& st = self->state;
        auto result = probe(st);
        if (st.conn && st.conn->broken())
          st.conn.reset();
        if (!result)
          return std::move(result.error());
        return std::move(*result);
      },
      [self](verify_atom,
             const target_state& expected) -> caf::result<ok_atom> {
        auto& st = self->state;
        auto seen = probe(st);
        if (st.conn && st.conn->broken())
          st.conn.reset();
        if (!seen)
          return std::move(seen.error());
        if (auto err = check(st, expected, *seen))
          return err;
        return ok_atom_v;
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

caf::error target_fault_error(const target_verdict& verdict,
                              const std::string& target_name) {
  auto code = errc::target_foreign;
  switch (verdict.fault) {
    case target_fault::behind:
      code = errc::target_behind;
      break;
    case target_fault::removed:
      code = errc::target_removed;
      break;
    case target_fault::no_counters:
      code = errc::no_gap_detection;
      break;
    default:
      break;
  }
  return caf::make_error(code,
                         "the target " + target_name + ": " + verdict.text);
}

} // namespace cursor::tailer
