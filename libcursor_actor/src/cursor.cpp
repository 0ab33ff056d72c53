// The cursor actor. It never blocks and never includes SQLite: durability is
// the writer's job, waiting on a busy database is done with delayed messages
// to self, and every requester waiting on a write hears how it ended.

#include "cursor_state.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <string_view>

#include <caf/all.hpp>

#include "cursor_actor/error.hpp"
#include "cursor_actor/peer_id.hpp"
#include "logger.hpp"

namespace cursor {

namespace {

// Wall-clock time for `updated_at`, read on every set: the coarse real-time
// clock costs a few nanoseconds instead of about 20 and is exact to the
// kernel tick (1-4 ms), plenty for a "last changed" stamp.
int64_t unix_ms_now() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

const char* operation_name(write_trigger trigger) {
  return trigger == write_trigger::erase ? "cursor_delete" : "cursor_flush";
}

// Keeps a peer ID printable in log lines and error messages.
std::string printable(const std::string& peer) {
  std::string result = peer.substr(0, 64);
  for (auto& c : result)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  if (peer.size() > 64)
    result += "...";
  return result;
}

// Log arguments are evaluated before the call: build them only when the
// line is printed (a set must not pay for a debug line nobody reads).
bool debug_enabled() {
  return log()->should_log(spdlog::level::debug);
}

// Eight bytes of `s` from `offset` on, big-endian and zero-padded. For
// strings that agree before `offset`, comparing these orders them as the
// strings compare, except that equal windows need a full comparison.
uint64_t window_of(const std::string& s, size_t offset) {
  unsigned char buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (offset < s.size())
    std::memcpy(buf, s.data() + offset,
                std::min<size_t>(8, s.size() - offset));
  uint64_t result = 0;
  for (auto b : buf)
    result = (result << 8) | b;
  return result;
}

caf::error closed_error(const cursor_state& st) {
  if (st.stopping)
    return caf::make_error(errc::closed, "the store is stopping");
  if (st.closing)
    return caf::make_error(errc::closed, "the store is closing");
  return caf::make_error(errc::closed, "the store is closed");
}

bool writes_refused(const cursor_state& st) {
  return st.closed || st.closing || st.stopping;
}

// Errors that do not come from the writer's storage layer mean the writer is
// gone (request_receiver_down and friends).
caf::error classify_writer_error(caf::error err) {
  if (err.category() == caf::atom("cursor"))
    return err;
  return caf::make_error(errc::writer_down,
                         "the writer failed: " + caf::to_string(err));
}

void answer(std::vector<write_waiter>& waiters, const caf::error& err,
            uint64_t rows) {
  auto xs = std::move(waiters);
  waiters.clear();
  for (auto& f : xs)
    if (f)
      f(err, rows);
}

// -- write rounds -------------------------------------------------------------

void start_round(cursor_pointer self, write_trigger trigger);
void after_round(cursor_pointer self, uint64_t last_rows);

// Stamps `node` with the next version; `erase` says whether the change is a
// delete.
void mark_dirty(cursor_pointer self, const cursor_node& node, bool erase) {
  auto& st = self->state;
  auto [i, added] = st.dirty.try_emplace(&node);
  auto& mark = i->second;
  if (added) {
    mark.since = self->clock().now();
    // Keep the shared prefix and this peer's sort key up to date while its
    // string is in the cache; the snapshot then rarely touches strings.
    auto& peer = node.first;
    auto& prefix = st.dirty_prefix;
    if (st.dirty.size() == 1) {
      prefix = peer;
    } else if (peer.compare(0, prefix.size(), prefix) != 0) {
      size_t n = 0;
      while (n < prefix.size() && n < peer.size() && peer[n] == prefix[n])
        ++n;
      prefix.resize(n);
    }
    mark.offset = static_cast<uint16_t>(prefix.size());
    mark.window = window_of(peer, prefix.size());
  }
  mark.version = st.next_version++;
  if (mark.erase != erase) {
    mark.erase = erase;
    if (erase)
      st.pending_deletes += 1;
    else
      st.pending_deletes -= 1;
  }
}

bool threshold_reached(const cursor_state& st) {
  return st.opts.dirty_threshold > 0
         && st.dirty.size() >= st.opts.dirty_threshold;
}

// Asks for every change dirty now to be committed; `done` hears the outcome.
void request_write(cursor_pointer self, write_waiter done,
                   write_trigger trigger) {
  auto& st = self->state;
  if (!st.writer_alive) {
    if (done)
      done(caf::make_error(errc::writer_down, "the writer has terminated"), 0);
    return;
  }
  if (st.round) {
    // The running round took its batch already; changes made since then
    // need the next one.
    if (done)
      st.next_waiters.push_back(std::move(done));
    if (trigger == write_trigger::erase)
      st.next_trigger = trigger;
    return;
  }
  if (st.dirty.empty()) {
    if (done)
      done(caf::none, 0);
    return;
  }
  if (done)
    st.current_waiters.push_back(std::move(done));
  start_round(self, trigger);
}

// The batch of every dirty change, sorted by peer: sorted keys write the
// B-tree pages in order, fewer page touches per commit.
//
// This runs in the actor, so it must be cheap for 100k entries: the sort
// compares the sort keys the marks carry (eight bytes after the prefix every
// dirty peer shares), and compares whole strings only when two are equal, so
// the order is exactly the strings' order; each entry is then read once, by
// address, into its op.
write_batch snapshot_batch(const cursor_state& st) {
  struct item {
    uint64_t window;
    const cursor_node* node;
    bool erase;
  };
  auto offset = st.dirty_prefix.size();
  std::vector<item> items;
  items.reserve(st.dirty.size());
  for (auto& [node, mark] : st.dirty) {
    auto window = mark.offset == offset ? mark.window
                                        : window_of(node->first, offset);
    items.push_back(item{window, node, mark.erase});
  }
  std::sort(items.begin(), items.end(), [](const item& a, const item& b) {
    if (a.window != b.window)
      return a.window < b.window;
    return a.node->first < b.node->first;
  });
  write_batch batch;
  batch.ops.resize(items.size());
  for (size_t k = 0; k < items.size(); ++k) {
    auto& [peer, value] = *items[k].node;
    auto& op = batch.ops[k];
    op.peer = peer;
    op.erase = items[k].erase;
    if (!op.erase) {
      op.stream_id = value.id.to_string();
      op.updated_at = value.updated_at;
    }
  }
  return batch;
}

void on_write_done(cursor_pointer self, uint64_t token, uint64_t rows);
void on_write_failed(cursor_pointer self, uint64_t token, caf::error err);

// Sends one attempt of the current round, built from the current state: a
// set or delete that arrived during a backoff wins over what an earlier
// attempt carried.
void send_attempt(cursor_pointer self) {
  auto& st = self->state;
  auto& r = *st.round;
  r.attempt += 1;
  r.waiting_retry = false;
  r.token = st.new_token();
  r.snapshot = st.next_version - 1;
  auto batch = snapshot_batch(st);
  auto token = r.token;
  self->request(st.writer, caf::infinite, write_atom_v, std::move(batch))
    .then([self, token](uint64_t rows) { on_write_done(self, token, rows); },
          [self, token](caf::error& err) {
            on_write_failed(self, token, std::move(err));
          });
}

void start_round(cursor_pointer self, write_trigger trigger) {
  auto& st = self->state;
  st.round.emplace();
  st.round->trigger = trigger;
  send_attempt(self);
}

void on_write_done(cursor_pointer self, uint64_t token, uint64_t rows) {
  auto& st = self->state;
  if (!st.round || st.round->waiting_retry || st.round->token != token)
    return;
  auto snapshot = st.round->snapshot;
  if (st.next_version - 1 == snapshot && st.pending_deletes == 0) {
    // Nothing changed since the snapshot: every mark is committed.
    st.dirty.clear();
  } else {
    for (auto i = st.dirty.begin(); i != st.dirty.end();) {
      if (i->second.version > snapshot) {
        ++i;
        continue;
      }
      auto node = i->first;
      bool erase = i->second.erase;
      i = st.dirty.erase(i);
      if (erase) {
        // The delete is committed: the entry can go now.
        st.pending_deletes -= 1;
        st.cursors.erase(st.cursors.find(node->first));
      }
    }
  }
  st.counters.flushes += 1;
  st.counters.rows_written += rows;
  st.counters.last_flush_unix_ms = unix_ms_now();
  st.counters.degraded = false;
  st.counters.last_error.clear();
  log()->debug("committed {} rows ({} still dirty)", rows, st.dirty.size());
  st.round.reset();
  answer(st.current_waiters, caf::none, rows);
  after_round(self, rows);
}

void on_write_failed(cursor_pointer self, uint64_t token, caf::error err) {
  auto& st = self->state;
  if (!st.round || st.round->waiting_retry || st.round->token != token)
    return;
  err = classify_writer_error(std::move(err));
  auto& r = *st.round;
  if (is(err, errc::busy) && r.attempt < st.opts.retry.max_attempts) {
    auto delay = st.opts.retry.delay_after(r.attempt);
    if (r.trigger == write_trigger::erase)
      st.counters.retries_delete += 1;
    else
      st.counters.retries_flush += 1;
    log()->warn("{} busy (attempt {} of {}), retrying in {} ms: {}",
                operation_name(r.trigger), r.attempt,
                st.opts.retry.max_attempts,
                std::chrono::duration_cast<std::chrono::milliseconds>(delay)
                  .count(),
                render(err));
    r.waiting_retry = true;
    r.token = st.new_token();
    self->delayed_send(caf::actor_cast<cursor_actor>(self), delay,
                       retry_atom_v, r.token);
    return;
  }
  if (is(err, errc::busy))
    err = caf::make_error(errc::busy,
                          "gave up after " + std::to_string(r.attempt)
                            + " attempts: " + render(err));
  st.counters.flush_errors += 1;
  st.counters.degraded = true;
  st.counters.last_error = render(err);
  log()->error("{} failed, {} changes stay dirty: {}",
               operation_name(r.trigger), st.dirty.size(), render(err));
  st.round.reset();
  // Everything that waited on this data failed, including requests queued
  // behind the round: their data was part of what failed.
  auto waiters = std::move(st.current_waiters);
  st.current_waiters.clear();
  for (auto& f : st.next_waiters)
    waiters.push_back(std::move(f));
  st.next_waiters.clear();
  st.next_trigger = write_trigger::flush;
  answer(waiters, err, 0);
}

void after_round(cursor_pointer self, uint64_t last_rows) {
  auto& st = self->state;
  if (st.round)
    return; // a waiter's callback started one already
  if (!st.next_waiters.empty()) {
    auto trigger = st.next_trigger;
    st.next_trigger = write_trigger::flush;
    if (st.dirty.empty()) {
      // Everything they needed was in the round that just committed.
      answer(st.next_waiters, caf::none, last_rows);
      return;
    }
    st.current_waiters = std::move(st.next_waiters);
    st.next_waiters.clear();
    start_round(self, trigger);
    return;
  }
  if (threshold_reached(st))
    start_round(self, write_trigger::flush);
}

// -- checkpoints --------------------------------------------------------------

void send_checkpoint(cursor_pointer self);

void finish_checkpoint(cursor_pointer self, caf::error err,
                       checkpoint_info info) {
  auto& st = self->state;
  auto waiters = std::move(st.checkpoint->waiters);
  st.checkpoint.reset();
  if (err) {
    st.counters.checkpoint_errors += 1;
    log()->warn("checkpoint failed: {}", render(err));
    for (auto& rp : waiters)
      rp.deliver(err);
    return;
  }
  st.counters.checkpoints += 1;
  for (auto& rp : waiters)
    rp.deliver(info);
}

void on_checkpoint_result(cursor_pointer self, uint64_t token,
                          caf::expected<checkpoint_info> res) {
  auto& st = self->state;
  if (!st.checkpoint || st.checkpoint->waiting_retry
      || st.checkpoint->token != token)
    return;
  auto& c = *st.checkpoint;
  bool busy = res ? !res->complete() : is(res.error(), errc::busy);
  if (!busy) {
    if (res)
      finish_checkpoint(self, caf::none, *res);
    else
      finish_checkpoint(self, classify_writer_error(res.error()), {});
    return;
  }
  if (c.attempt < st.opts.retry.max_attempts) {
    auto delay = st.opts.retry.delay_after(c.attempt);
    st.counters.retries_checkpoint += 1;
    log()->warn("cursor_checkpoint busy (attempt {} of {}), retrying in {} ms",
                c.attempt, st.opts.retry.max_attempts,
                std::chrono::duration_cast<std::chrono::milliseconds>(delay)
                  .count());
    c.waiting_retry = true;
    c.token = st.new_token();
    self->delayed_send(caf::actor_cast<cursor_actor>(self), delay,
                       retry_atom_v, c.token);
    return;
  }
  std::string detail = "gave up after " + std::to_string(c.attempt)
                       + " attempts: ";
  if (res)
    detail += std::to_string(res->checkpointed_frames) + " of "
              + std::to_string(res->log_frames)
              + " WAL frames checkpointed, other connections still use it";
  else
    detail += render(res.error());
  finish_checkpoint(self,
                    caf::make_error(errc::checkpoint_incomplete, detail), {});
}

void send_checkpoint(cursor_pointer self) {
  auto& st = self->state;
  auto& c = *st.checkpoint;
  c.attempt += 1;
  c.waiting_retry = false;
  c.token = st.new_token();
  auto token = c.token;
  self->request(st.writer, caf::infinite, checkpoint_atom_v)
    .then(
      [self, token](checkpoint_info info) {
        on_checkpoint_result(self, token, info);
      },
      [self, token](caf::error& err) {
        on_checkpoint_result(self, token, std::move(err));
      });
}

// -- shutdown -----------------------------------------------------------------

// Answers every request still waiting with `err`.
void fail_all_waiters(cursor_pointer self, const caf::error& err) {
  auto& st = self->state;
  st.round.reset();
  answer(st.current_waiters, err, 0);
  answer(st.next_waiters, err, 0);
  if (st.checkpoint) {
    auto waiters = std::move(st.checkpoint->waiters);
    st.checkpoint.reset();
    for (auto& rp : waiters)
      rp.deliver(err);
  }
}

// Closes the writer, then runs `then` with the outcome (also when the writer
// is gone already).
template <class F>
void close_writer(cursor_pointer self, F then) {
  auto& st = self->state;
  if (!st.writer_alive) {
    then(caf::make_error(errc::writer_down, "the writer has terminated"));
    return;
  }
  self->request(st.writer, caf::infinite, close_atom_v)
    .then([then](ok_atom) mutable { then(caf::error{}); },
          [then](caf::error& err) mutable {
            then(classify_writer_error(std::move(err)));
          });
}

void log_unpersisted(cursor_pointer self, const caf::error& err) {
  auto& st = self->state;
  log()->error("{} changes were NOT persisted: {}", st.dirty.size(),
               render(err));
  size_t shown = 0;
  for (auto& [node, mark] : st.dirty) {
    if (++shown > 20) {
      log()->error("... and {} more", st.dirty.size() - 20);
      break;
    }
    if (mark.erase)
      log()->error("not persisted: delete of '{}'", printable(node->first));
    else
      log()->error("not persisted: '{}' = {}", printable(node->first),
                   node->second.id.to_string());
  }
}

void stop(cursor_pointer self) {
  auto& st = self->state;
  fail_all_waiters(self, caf::make_error(errc::stopped,
                                         "the store stopped before the "
                                         "request completed"));
  auto reason = st.stop_reason;
  self->quit(reason);
}

void begin_stop(cursor_pointer self, caf::error reason) {
  auto& st = self->state;
  st.stopping = true;
  st.stop_reason = std::move(reason);
  if (st.closed) {
    stop(self);
    return;
  }
  request_write(
    self,
    [self](const caf::error& err, uint64_t rows) {
      if (err)
        log_unpersisted(self, err);
      else
        log()->info("final flush wrote {} rows", rows);
      close_writer(self, [self](const caf::error& close_err) {
        if (close_err)
          log()->warn("closing the database failed: {}", render(close_err));
        else
          log()->info("database closed");
        self->state.closed = !close_err;
        stop(self);
      });
    },
    write_trigger::flush);
}

// -- message handlers ---------------------------------------------------------

caf::error regression_error(const std::string& peer, stream_id current,
                            stream_id refused) {
  return caf::make_error(errc::regression,
                         "cursor of '" + printable(peer) + "' is "
                           + current.to_string()
                           + "; refusing to move it back to "
                           + refused.to_string() + " (use force)");
}

// Validates the input of one update and parses its stream ID into `id`.
caf::error parse_update(const std::string& peer, const std::string& text,
                        stream_id& id) {
  if (auto err = validate_peer_id(peer))
    return err;
  auto full = stream_id::parse(text);
  if (!full)
    return std::move(full.error());
  id = *full;
  return caf::none;
}

caf::result<ok_atom> handle_set(cursor_pointer self, const std::string& peer,
                                const std::string& text, bool force) {
  auto& st = self->state;
  if (writes_refused(st))
    return closed_error(st);
  stream_id id;
  if (auto err = parse_update(peer, text, id))
    return err;
  // One hash lookup finds or makes the entry. A set refused below never
  // holds a new entry, so nothing needs undoing.
  auto [i, added] = st.cursors.try_emplace(peer);
  auto& node = *i;
  if (!added && !st.is_erased(node)) {
    if (node.second.id == id)
      return ok_atom_v;
    if (!force && id < node.second.id)
      return regression_error(peer, node.second.id, id);
  }
  node.second = cursor_value{id, unix_ms_now()};
  mark_dirty(self, node, false);
  if (debug_enabled())
    log()->debug("set '{}' = {}{}", printable(peer), id.to_string(),
                 force ? " (forced)" : "");
  if (!st.round && threshold_reached(st))
    start_round(self, write_trigger::flush);
  return ok_atom_v;
}

// An error of entry `index` of a batch of `size`: same code, the index and
// the entry's reason as context.
caf::error in_batch(const caf::error& err, size_t index, size_t size) {
  std::string reason;
  auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    reason = ctx.get_as<std::string>(0);
  else
    reason = caf::to_string(ctx);
  return caf::make_error(static_cast<errc>(err.code()),
                         "batch entry " + std::to_string(index) + " of "
                           + std::to_string(size) + ": " + reason
                           + "; nothing in the batch was applied");
}

// The batched set: all entries or none (see actors.hpp). Validation and
// parsing first, without touching the state; then the entries are applied
// in order, each checked against the state the earlier ones left, keeping
// what is needed to undo them; only when all passed are they marked dirty.
// `force` (the forced batched set) lets entries move cursors backwards.
caf::result<ok_atom> handle_set_batch(cursor_pointer self,
                                      const std::vector<std::string>& peers,
                                      const std::vector<std::string>& texts,
                                      bool force) {
  auto& st = self->state;
  if (writes_refused(st))
    return closed_error(st);
  auto n = peers.size();
  if (texts.size() != n)
    return caf::make_error(errc::invalid_stream_id,
                           "the batch has " + std::to_string(n)
                             + " peers but " + std::to_string(texts.size())
                             + " stream IDs; nothing was applied");
  std::vector<stream_id> ids(n);
  for (size_t k = 0; k < n; ++k)
    if (auto err = parse_update(peers[k], texts[k], ids[k]))
      return in_batch(err, k, n);
  struct undo {
    cursor_node* node;
    bool added;
    cursor_value old;
  };
  std::vector<undo> applied;
  applied.reserve(n);
  auto now = unix_ms_now();
  for (size_t k = 0; k < n; ++k) {
    auto [i, added] = st.cursors.try_emplace(peers[k]);
    auto& node = *i;
    if (!added && !st.is_erased(node)) {
      if (node.second.id == ids[k])
        continue;
      if (!force && ids[k] < node.second.id) {
        auto err = regression_error(peers[k], node.second.id, ids[k]);
        // Undo in reverse order: a peer set twice gets its first old value
        // back last, and an entry this batch added is removed.
        for (auto u = applied.rbegin(); u != applied.rend(); ++u) {
          if (u->added)
            st.cursors.erase(st.cursors.find(u->node->first));
          else
            u->node->second = u->old;
        }
        return in_batch(err, k, n);
      }
    }
    applied.push_back(undo{&node, added, node.second});
    node.second = cursor_value{ids[k], now};
  }
  for (auto& u : applied)
    mark_dirty(self, *u.node, false);
  if (debug_enabled())
    log()->debug("set batch of {} entries, {} changed{}", n, applied.size(),
                 force ? " (forced)" : "");
  if (!st.round && threshold_reached(st))
    start_round(self, write_trigger::flush);
  return ok_atom_v;
}

// The online backup (see actors.hpp): what is dirty is committed first, so
// the copy holds every change acknowledged before the request; then the
// writer copies. Both go through the one writer in order, so the copy sees
// that commit.
caf::result<uint64_t> handle_backup(cursor_pointer self,
                                    const std::string& path) {
  auto& st = self->state;
  if (writes_refused(st))
    return closed_error(st);
  auto rp = self->make_response_promise<uint64_t>();
  request_write(
    self,
    [self, rp, path](const caf::error& err, uint64_t) mutable {
      if (err) {
        log()->error("backup to '{}' not started: the flush before it "
                     "failed: {}", path, render(err));
        rp.deliver(err);
        return;
      }
      auto& st = self->state;
      if (!st.writer_alive) {
        rp.deliver(
          caf::make_error(errc::writer_down, "the writer has terminated"));
        return;
      }
      self->request(st.writer, caf::infinite, backup_atom_v, path)
        .then([rp](uint64_t rows) mutable { rp.deliver(rows); },
              [rp](caf::error& e) mutable {
                rp.deliver(classify_writer_error(std::move(e)));
              });
    },
    write_trigger::flush);
  return rp;
}

void schedule_tick(cursor_pointer self) {
  auto& st = self->state;
  if (st.opts.flush_interval.count() <= 0)
    return;
  st.tick_token = st.new_token();
  self->delayed_send(caf::actor_cast<cursor_actor>(self),
                     st.opts.flush_interval, tick_atom_v, st.tick_token);
}

} // namespace

cursor_actor::behavior_type
cursor_behavior(cursor_pointer self, writer_actor writer, cursor_map cursors,
                cursor_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.writer = std::move(writer);
  st.cursors = std::move(cursors);
  self->monitor(st.writer);
  // Whatever ends this actor, kill included, ends the writer too: a living
  // detached writer would keep the actor system from shutting down.
  self->attach_functor([w = st.writer](const caf::error&) {
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  });
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    if (msg.source != st.writer.address())
      return;
    st.writer_alive = false;
    if (st.closed)
      return; // the writer ends after close
    auto err = caf::make_error(errc::writer_down,
                               "the writer terminated: "
                                 + caf::to_string(msg.reason));
    log()->error("{}", render(err));
    st.counters.degraded = true;
    st.counters.last_error = render(err);
    if (st.round || !st.current_waiters.empty() || !st.next_waiters.empty())
      st.counters.flush_errors += 1;
    fail_all_waiters(self, err);
    if (st.stopping)
      stop(self);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    if (!msg.reason) // a normal exit of a linked actor: ignore, as CAF does
      return;
    if (st.stopping) {
      // A second request to stop: do not wait for the final flush again.
      log()->warn("second exit message during shutdown: stopping now");
      stop(self);
      return;
    }
    if (st.closed)
      log()->debug("stopping ({}) after close", caf::to_string(msg.reason));
    else
      log()->info("stopping ({}): final flush of {} changes",
                  caf::to_string(msg.reason), st.dirty.size());
    begin_stop(self, std::move(msg.reason));
  });
  // Anyone can send a caf::error message to an actor; it must not kill us.
  self->set_error_handler([](caf::error& err) {
    log()->warn("ignored stray error message: {}", caf::to_string(err));
  });
  self->set_default_handler(
    [](caf::scheduled_actor*, caf::message_view& msg) -> caf::result<caf::message> {
      log()->warn("rejected unexpected message: {}",
                  caf::to_string(msg.content()));
      return caf::sec::unexpected_message;
    });
  schedule_tick(self);
  return {
    [self](set_atom, const std::string& peer, const std::string& id) {
      return handle_set(self, peer, id, false);
    },
    [self](set_atom, force_atom, const std::string& peer,
           const std::string& id) {
      return handle_set(self, peer, id, true);
    },
    [self](set_atom, const std::vector<std::string>& peers,
           const std::vector<std::string>& ids) {
      return handle_set_batch(self, peers, ids, false);
    },
    [self](set_atom, force_atom, const std::vector<std::string>& peers,
           const std::vector<std::string>& ids) {
      return handle_set_batch(self, peers, ids, true);
    },
    [self](get_atom, const std::string& peer) -> caf::result<cursor_lookup> {
      if (auto err = validate_peer_id(peer))
        return err;
      auto& st = self->state;
      auto i = st.cursors.find(peer);
      if (i == st.cursors.end())
        return cursor_lookup{};
      auto mark = st.mark_of(*i);
      if (mark != nullptr && mark->erase)
        return cursor_lookup{};
      return cursor_lookup{true, i->second.id.to_string(), mark == nullptr};
    },
    [self](get_atom, start_atom,
           const std::string& peer) -> caf::result<std::string> {
      if (auto err = validate_peer_id(peer))
        return err;
      auto& st = self->state;
      auto i = st.cursors.find(peer);
      if (i == st.cursors.end() || st.is_erased(*i))
        return std::string{"0"};
      return i->second.id.to_string();
    },
    [self](list_atom) {
      auto& st = self->state;
      std::vector<cursor_entry> result;
      result.reserve(st.entries());
      for (auto& node : st.cursors) {
        auto mark = st.mark_of(node);
        if (mark != nullptr && mark->erase)
          continue;
        result.push_back(cursor_entry{node.first, node.second.id.to_string(),
                                      node.second.updated_at,
                                      mark == nullptr});
      }
      std::sort(result.begin(), result.end(),
                [](const cursor_entry& a, const cursor_entry& b) {
                  return a.peer < b.peer;
                });
      return result;
    },
    [self](dirty_atom) {
      return static_cast<uint64_t>(self->state.dirty.size());
    },
    [self](flush_atom) -> caf::result<uint64_t> {
      if (self->state.closed)
        return closed_error(self->state);
      auto rp = self->make_response_promise<uint64_t>();
      request_write(
        self,
        [rp](const caf::error& err, uint64_t rows) mutable {
          if (err)
            rp.deliver(err);
          else
            rp.deliver(rows);
        },
        write_trigger::flush);
      return rp;
    },
    [self](delete_atom, const std::string& peer) -> caf::result<bool> {
      auto& st = self->state;
      if (writes_refused(st))
        return closed_error(st);
      if (auto err = validate_peer_id(peer))
        return err;
      auto i = st.cursors.find(peer);
      if (i == st.cursors.end())
        return false; // memory mirrors the table: nothing to delete
      // A pending delete is not a known peer, but deleting it again starts
      // a write as before.
      bool existed = !st.is_erased(*i);
      mark_dirty(self, *i, true);
      if (debug_enabled())
        log()->debug("delete '{}'", printable(peer));
      auto rp = self->make_response_promise<bool>();
      request_write(
        self,
        [rp, existed](const caf::error& err, uint64_t) mutable {
          if (err)
            rp.deliver(err);
          else
            rp.deliver(existed);
        },
        write_trigger::erase);
      return rp;
    },
    [self](checkpoint_atom) -> caf::result<checkpoint_info> {
      auto& st = self->state;
      if (st.closed)
        return closed_error(st);
      if (!st.writer_alive)
        return caf::make_error(errc::writer_down, "the writer has terminated");
      auto rp = self->make_response_promise<checkpoint_info>();
      if (st.checkpoint) {
        st.checkpoint->waiters.push_back(rp);
        return rp;
      }
      st.checkpoint.emplace();
      st.checkpoint->waiters.push_back(rp);
      send_checkpoint(self);
      return rp;
    },
    [self](stats_atom) {
      auto& st = self->state;
      auto result = st.counters;
      result.entries = st.entries();
      result.dirty = st.dirty.size();
      result.closed = st.closed;
      result.db_path = st.opts.storage.db_path;
      if (!st.dirty.empty()) {
        auto oldest = self->clock().now();
        for (auto& kvp : st.dirty)
          oldest = std::min(oldest, kvp.second.since);
        result.oldest_dirty_age_ms
          = std::chrono::duration_cast<std::chrono::milliseconds>(
              self->clock().now() - oldest)
              .count();
      }
      return result;
    },
    [self](backup_atom, const std::string& path) {
      return handle_backup(self, path);
    },
    [self](close_atom) -> caf::result<uint64_t> {
      auto& st = self->state;
      if (st.closed)
        return uint64_t{0};
      if (st.stopping)
        return closed_error(st);
      auto rp = self->make_response_promise<uint64_t>();
      st.closing = true;
      request_write(
        self,
        [self, rp](const caf::error& err, uint64_t rows) mutable {
          auto& st = self->state;
          if (err) {
            // Keep the store open: the data is still here and a later
            // flush or close may succeed.
            st.closing = false;
            log()->error("close: final flush failed, the store stays open: {}",
                         render(err));
            rp.deliver(err);
            return;
          }
          close_writer(self, [self, rp, rows](const caf::error& close_err) mutable {
            auto& st = self->state;
            st.closing = false;
            st.closed = true;
            if (close_err) {
              rp.deliver(close_err);
              return;
            }
            log()->info("closed '{}' ({} cursors)", st.opts.storage.db_path,
                        st.entries());
            rp.deliver(rows);
          });
        },
        write_trigger::flush);
      return rp;
    },
    [self](retry_atom, uint64_t token) {
      auto& st = self->state;
      if (token == 0)
        return;
      if (st.round && st.round->waiting_retry && st.round->token == token) {
        send_attempt(self);
        return;
      }
      if (st.checkpoint && st.checkpoint->waiting_retry
          && st.checkpoint->token == token) {
        send_checkpoint(self);
        return;
      }
      log()->debug("ignored stale retry message");
    },
    [self](tick_atom, uint64_t token) {
      auto& st = self->state;
      if (token == 0 || token != st.tick_token) {
        log()->debug("ignored stale tick message");
        return;
      }
      if (st.closed)
        return; // nothing can be written any more: let the timer lapse
      schedule_tick(self);
      if (!st.round && !st.dirty.empty() && !writes_refused(st))
        request_write(self, nullptr, write_trigger::flush);
    },
  };
}

} // namespace cursor
