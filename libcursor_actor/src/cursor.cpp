// The cursor actor. It never blocks and never includes SQLite: durability is
// the writer's job, waiting on a busy database is done with delayed messages
// to self, and every requester waiting on a write hears how it ended.
//
// Reading order: the handler table at the end (`cursor_behavior`) lists every
// message and the named handler it goes to; the sections above it are the
// machinery those handlers share: write rounds, checkpoints, shutdown.

#include "cursor_state.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <caf/all.hpp>

#include "cursor_actor/error.hpp"
#include "cursor_actor/peer_id.hpp"
#include "logger.hpp"

namespace cursor {

write_round::write_round(write_trigger trigger, cursor_stats& counters)
    : op(trigger == write_trigger::erase ? "cursor_delete" : "cursor_flush",
         trigger == write_trigger::erase ? &counters.retries_delete
                                         : &counters.retries_flush),
      trigger(trigger) {
  // nop
}

checkpoint_round::checkpoint_round(cursor_stats& counters)
    : op("cursor_checkpoint", &counters.retries_checkpoint) {
  // nop
}

namespace {

// Wall-clock time for `updated_at`, read on every set: the coarse real-time
// clock costs a few nanoseconds instead of about 20 and is exact to the
// kernel tick (1-4 ms), plenty for a "last changed" stamp.
int64_t unix_ms_now() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
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

// Errors that do not come from the writer's storage layer mean the writer is
// gone (request_receiver_down and friends).
caf::error classify_writer_error(caf::error err) {
  if (err.category() == caf::atom("cursor"))
    return err;
  return caf::make_error(errc::writer_down,
                         "the writer failed: " + caf::to_string(err));
}

caf::error writer_gone() {
  return caf::make_error(errc::writer_down, "the writer has terminated");
}

void answer(std::vector<write_waiter>& waiters, const caf::error& err,
            uint64_t rows) {
  auto xs = std::move(waiters);
  waiters.clear();
  for (auto& f : xs)
    if (f)
      f(err, rows);
}

// The only place that changes the lifecycle state.
void move_to(cursor_pointer self, lifecycle next) {
  auto& st = self->state;
  if (!lifecycle_transition(st.phase, next)) {
    log()->error("bug: lifecycle {} -> {} is not a transition",
                 to_string(st.phase), to_string(next));
    return;
  }
  st.phase = next;
}

// -- write rounds -------------------------------------------------------------

void start_round(cursor_pointer self, write_trigger trigger);

// Asks for every change dirty now to be committed; `done` hears the outcome.
void request_write(cursor_pointer self, write_waiter done,
                   write_trigger trigger) {
  auto& st = self->state;
  if (!st.writer_alive) {
    if (done)
      done(writer_gone(), 0);
    return;
  }
  if (st.round) {
    // The running round took its snapshot already; changes made since then
    // need the next one.
    if (done)
      st.next_waiters.push_back(std::move(done));
    if (trigger == write_trigger::erase)
      st.next_trigger = trigger;
    return;
  }
  if (st.table.clean()) {
    if (done)
      done(caf::none, 0);
    return;
  }
  if (done)
    st.current_waiters.push_back(std::move(done));
  start_round(self, trigger);
}

// The dirty threshold: an early flush with nobody waiting. It goes through
// request_write like any flush (so a dead writer gets nothing), and after a
// failed round it waits one backoff, so that a failing database does not get
// a transaction from every set.
void flush_if_threshold(cursor_pointer self) {
  auto& st = self->state;
  if (st.round || st.opts.dirty_threshold == 0
      || st.table.dirty_count() < st.opts.dirty_threshold)
    return;
  if (self->clock().now() < st.threshold_paused_until)
    return;
  request_write(self, nullptr, write_trigger::flush);
}

void on_write_done(cursor_pointer self, uint64_t token, uint64_t rows);
void on_write_failed(cursor_pointer self, uint64_t token, caf::error err);

// Sends one attempt of the current round, built from the table as it is now:
// a set or delete that arrived during a backoff wins over what an earlier
// attempt carried.
void send_attempt(cursor_pointer self) {
  auto& st = self->state;
  auto& r = *st.round;
  auto token = st.new_token();
  r.op.begin_attempt(token);
  auto snapshot = st.table.snapshot();
  r.snapshot_version = snapshot.version;
  self->request(st.writer, caf::infinite, write_atom_v,
                std::move(snapshot.batch))
      .then([self, token](uint64_t rows) { on_write_done(self, token, rows); },
            [self, token](caf::error& err) {
              on_write_failed(self, token, std::move(err));
            });
}

void start_round(cursor_pointer self, write_trigger trigger) {
  auto& st = self->state;
  st.round.emplace(trigger, st.counters);
  send_attempt(self);
}

// After a round ended: the requests that arrived during it get theirs.
void after_round(cursor_pointer self, uint64_t last_rows) {
  auto& st = self->state;
  if (st.round)
    return; // a waiter's callback started one already
  if (!st.next_waiters.empty()) {
    auto trigger = st.next_trigger;
    st.next_trigger = write_trigger::flush;
    if (st.table.clean()) {
      // Everything they needed was in the round that just committed.
      answer(st.next_waiters, caf::none, last_rows);
      return;
    }
    st.current_waiters = std::move(st.next_waiters);
    st.next_waiters.clear();
    start_round(self, trigger);
    return;
  }
  flush_if_threshold(self);
}

void on_write_done(cursor_pointer self, uint64_t token, uint64_t rows) {
  auto& st = self->state;
  if (!st.round || !st.round->op.is_reply(token))
    return;
  st.table.commit(st.round->snapshot_version);
  st.counters.flushes += 1;
  st.counters.rows_written += rows;
  st.counters.last_flush_unix_ms = unix_ms_now();
  st.counters.degraded = false;
  st.counters.last_error.clear();
  st.threshold_paused_until = {};
  log()->debug("committed {} rows ({} still dirty)", rows,
               st.table.dirty_count());
  st.round.reset();
  answer(st.current_waiters, caf::none, rows);
  after_round(self, rows);
}

void on_write_failed(cursor_pointer self, uint64_t token, caf::error err) {
  auto& st = self->state;
  if (!st.round || !st.round->op.is_reply(token))
    return;
  err = classify_writer_error(std::move(err));
  auto& r = *st.round;
  if (is(err, errc::busy)) {
    auto retry_token = st.new_token();
    if (auto delay = r.op.plan_retry(st.opts.retry, retry_token, render(err))) {
      self->delayed_send(caf::actor_cast<cursor_actor_internal>(self), *delay,
                         retry_atom_v, retry_token);
      return;
    }
    err = caf::make_error(errc::busy, r.op.gave_up(render(err)));
  }
  st.counters.flush_errors += 1;
  st.counters.degraded = true;
  st.counters.last_error = render(err);
  st.threshold_paused_until = self->clock().now() + st.opts.retry.max_delay;
  log()->error("{} failed, {} changes stay dirty: {}", r.op.name(),
               st.table.dirty_count(), render(err));
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
  if (!st.checkpoint || !st.checkpoint->op.is_reply(token))
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
  std::string detail;
  if (res)
    detail = std::to_string(res->checkpointed_frames) + " of "
             + std::to_string(res->log_frames)
             + " WAL frames checkpointed, other connections still use it";
  else
    detail = render(res.error());
  auto retry_token = st.new_token();
  if (auto delay = c.op.plan_retry(st.opts.retry, retry_token, detail)) {
    self->delayed_send(caf::actor_cast<cursor_actor_internal>(self), *delay,
                       retry_atom_v, retry_token);
    return;
  }
  finish_checkpoint(
      self, caf::make_error(errc::checkpoint_incomplete, c.op.gave_up(detail)),
      {});
}

void send_checkpoint(cursor_pointer self) {
  auto& st = self->state;
  auto token = st.new_token();
  st.checkpoint->op.begin_attempt(token);
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
  auto scans = std::move(st.list_scans);
  st.list_scans.clear();
  for (auto& kv : scans)
    kv.second.promise.deliver(err);
  auto closers = std::move(st.close_waiters);
  st.close_waiters.clear();
  for (auto& rp : closers)
    rp.deliver(err);
}

// Closes the writer, then runs `then` with the outcome (also when the writer
// is gone already).
template <class F>
void close_writer(cursor_pointer self, F then) {
  auto& st = self->state;
  if (!st.writer_alive) {
    then(writer_gone());
    return;
  }
  self->request(st.writer, caf::infinite, close_atom_v)
      .then([then](ok_atom) mutable { then(caf::error{}); },
            [then](caf::error& err) mutable {
              then(classify_writer_error(std::move(err)));
            });
}

void log_unpersisted(cursor_pointer self, const caf::error& err) {
  auto& table = self->state.table;
  log()->error("{} changes were NOT persisted: {}", table.dirty_count(),
               render(err));
  size_t shown = 0;
  table.for_each_dirty(
      [&](const std::string& peer, const cursor_value& value, bool erase) {
        if (++shown > 20) {
          if (shown == 21)
            log()->error("... and {} more", table.dirty_count() - 20);
          return;
        }
        if (erase)
          log()->error("not persisted: delete of '{}'", printable(peer));
        else
          log()->error("not persisted: '{}' = {}", printable(peer),
                       value.id.to_string());
      });
}

// Quits, answering every request still waiting with `stopped`.
void stop(cursor_pointer self) {
  auto& st = self->state;
  fail_all_waiters(self, caf::make_error(errc::stopped,
                                         "the store stopped before the "
                                         "request completed"));
  self->quit(st.stop_reason);
}

void answer_closers(cursor_pointer self, const caf::error& err, uint64_t rows) {
  auto& st = self->state;
  auto closers = std::move(st.close_waiters);
  st.close_waiters.clear();
  for (auto& rp : closers) {
    if (err)
      rp.deliver(err);
    else
      rp.deliver(rows);
  }
}

// The end of the shutdown sequence: the writer closed (or failed to).
void on_writer_closed(cursor_pointer self, uint64_t rows,
                      const caf::error& close_err) {
  auto& st = self->state;
  if (st.phase == lifecycle::stopping) {
    if (close_err)
      log()->warn("closing the database failed: {}", render(close_err));
    else
      log()->info("database closed");
    answer_closers(self, close_err, rows);
    stop(self);
    return;
  }
  move_to(self, lifecycle::closed);
  if (!close_err)
    log()->info("closed '{}' ({} cursors)", st.opts.storage.db_path,
                st.table.size());
  answer_closers(self, close_err, rows);
}

// The shutdown sequence's final flush ended.
void on_final_flush(cursor_pointer self, const caf::error& err, uint64_t rows) {
  auto& st = self->state;
  if (err && st.phase == lifecycle::closing) {
    // Keep the store open: the data is still here and a later flush or
    // close may succeed.
    move_to(self, lifecycle::open);
    log()->error("close: final flush failed, the store stays open: {}",
                 render(err));
    answer_closers(self, err, 0);
    return;
  }
  if (err) {
    log_unpersisted(self, err);
    // A close that this stop joined hears the flush failure.
    answer_closers(self, err, 0);
  } else if (st.phase == lifecycle::stopping) {
    log()->info("final flush wrote {} rows", rows);
  }
  close_writer(self, [self, rows](const caf::error& close_err) {
    on_writer_closed(self, rows, close_err);
  });
}

// Starts the shutdown sequence shared by close and exit: final flush, then
// the writer's close.
void begin_shutdown(cursor_pointer self) {
  request_write(
      self,
      [self](const caf::error& err, uint64_t rows) {
        on_final_flush(self, err, rows);
      },
      write_trigger::flush);
}

void schedule_tick(cursor_pointer self) {
  auto& st = self->state;
  if (st.opts.flush_interval.count() <= 0)
    return;
  st.tick_token = st.new_token();
  self->delayed_send(caf::actor_cast<cursor_actor_internal>(self),
                     st.opts.flush_interval, tick_atom_v, st.tick_token);
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

caf::result<ok_atom> on_set(cursor_pointer self, const std::string& peer,
                            const std::string& text, bool force) {
  auto& st = self->state;
  if (refuses_writes(st.phase))
    return closed_error(st.phase);
  stream_id id;
  if (auto err = parse_update(peer, text, id))
    return err;
  stream_id current;
  switch (st.table.set(peer, id, unix_ms_now(), force, &current)) {
    case set_outcome::unchanged:
      return ok_atom_v;
    case set_outcome::regression:
      return regression_error(peer, current, id);
    case set_outcome::changed:
      break;
  }
  if (debug_enabled())
    log()->debug("set '{}' = {}{}", printable(peer), id.to_string(),
                 force ? " (forced)" : "");
  flush_if_threshold(self);
  return ok_atom_v;
}

// The batched set: all entries or none (see actors.hpp). Validation and
// parsing first, without touching the table; then the table applies the
// entries in order, undoing them all at the first refusal. `force` (the
// forced batched set) lets entries move cursors backwards.
caf::result<ok_atom> on_set_batch(cursor_pointer self,
                                  const std::vector<std::string>& peers,
                                  const std::vector<std::string>& texts,
                                  bool force) {
  auto& st = self->state;
  if (refuses_writes(st.phase))
    return closed_error(st.phase);
  auto n = peers.size();
  if (texts.size() != n)
    return caf::make_error(errc::invalid_stream_id,
                           "the batch has " + std::to_string(n) + " peers but "
                               + std::to_string(texts.size())
                               + " stream IDs; nothing was applied");
  std::vector<stream_id> ids(n);
  for (size_t k = 0; k < n; ++k)
    if (auto err = parse_update(peers[k], texts[k], ids[k]))
      return in_batch(err, k, n);
  stream_id current;
  size_t changed = 0;
  auto refused
      = st.table.set_all(peers, ids, unix_ms_now(), current, changed, force);
  if (refused < n)
    return in_batch(regression_error(peers[refused], current, ids[refused]),
                    refused, n);
  if (debug_enabled())
    log()->debug("set batch of {} entries, {} changed{}", n, changed,
                 force ? " (forced)" : "");
  flush_if_threshold(self);
  return ok_atom_v;
}

caf::result<cursor_lookup> on_get(cursor_pointer self,
                                  const std::string& peer) {
  if (auto err = validate_peer_id(peer))
    return err;
  auto x = self->state.table.find(peer);
  if (x.value == nullptr)
    return cursor_lookup{};
  return cursor_lookup{true, x.value->id.to_string(), x.durable};
}

caf::result<std::string> on_get_or_start(cursor_pointer self,
                                         const std::string& peer) {
  if (auto err = validate_peer_id(peer))
    return err;
  auto x = self->state.table.find(peer);
  if (x.value == nullptr)
    return std::string{"0"};
  return x.value->id.to_string();
}

std::vector<cursor_entry> on_list(cursor_pointer self) {
  auto& table = self->state.table;
  std::vector<cursor_entry> result;
  result.reserve(table.size());
  table.for_each(
      [&](const std::string& peer, const cursor_value& value, bool durable) {
        result.push_back(cursor_entry{peer, value.id.to_string(),
                                      value.updated_at, durable});
      });
  std::sort(result.begin(), result.end(),
            [](const cursor_entry& a, const cursor_entry& b) {
              return a.peer < b.peer;
            });
  return result;
}

// -- paged list ----------------------------------------------------------------

constexpr uint32_t max_list_limit = 100000;
// The most entries one page holds, whatever the limit: the actor builds a
// page in one message (~3 ms at 10,000; a 100,000-entry page held gets for
// up to 160 ms at 1M cursors). A larger limit gives pages of this size with
// `more` set; a listing follows `next` as always.
constexpr uint32_t max_page_entries = 10000;
constexpr size_t max_list_scans = 16;

// Schedules the next slice of scan `token`. Not a plain send to self: CAF
// 0.17 runs an actor's mailbox to the end on its worker (max-throughput is
// unbounded by default), and actors it made ready meanwhile wait on that
// worker until another one steals them (up to the relaxed sleep, 10 ms). A
// self-sent slice never empties the mailbox, so a whole page would run as one
// resume and hold back every actor queued behind it. Through the clock (zero
// delay) the mailbox empties between slices, the worker moves on, and the
// slice comes back at the end of the queue.
void continue_scan(cursor_pointer self, uint64_t token) {
  self->delayed_send(caf::actor_cast<cursor_actor_internal>(self), caf::timespan{0},
                     list_atom_v, token);
}

cursor_page finish_page(cursor_pointer self, page_scan& scan) {
  cursor_page page;
  page.entries = scan.finish(self->state.table, page.more);
  page.next = scan.next();
  return page;
}

// A page by scanning the table's hash buckets (page_scan.hpp), a slice per
// message: the fallback when the writer cannot read the page.
void scan_page(cursor_pointer self, std::string after, uint32_t limit,
               caf::typed_response_promise<cursor_page> promise) {
  auto& st = self->state;
  page_scan scan{std::move(after), limit};
  auto slice = std::max<size_t>(st.opts.list_slice_buckets, 1);
  if (scan.step(st.table, slice)) {
    promise.deliver(finish_page(self, scan));
    return;
  }
  auto token = st.new_token();
  st.list_scans.emplace(token,
                        cursor_state::list_scan{std::move(scan), promise});
  continue_scan(self, token);
}

// A page: the writer reads the committed rows in order (one B-tree range
// scan on its thread) and this actor overlays its uncommitted changes
// (page_overlay.hpp). Without a writer, or when the read fails, the page is
// scanned from memory instead; the caller sees the same page either way.
caf::result<cursor_page> on_list_page(cursor_pointer self,
                                      const std::string& after,
                                      uint32_t limit) {
  auto& st = self->state;
  if (limit == 0 || limit > max_list_limit)
    return caf::make_error(errc::invalid_list_request,
                           "the limit must be 1 to 100000, not "
                             + std::to_string(limit));
  if (st.list_scans.size() + st.list_reads >= max_list_scans)
    return caf::make_error(errc::invalid_list_request,
                           "16 paged lists run already; retry later");
  limit = std::min(limit, max_page_entries);
  auto promise = self->make_response_promise<cursor_page>();
  if (!st.writer_alive || st.phase != lifecycle::open) {
    scan_page(self, after, limit, promise);
    return promise;
  }
  st.list_reads += 1;
  self->request(st.writer, caf::infinite, list_atom_v, after, limit)
    .then(
      [self, after, limit, promise](std::vector<stored_cursor>& rows) mutable {
        self->state.list_reads -= 1;
        promise.deliver(overlay_page(self->state.table, after, limit, rows));
      },
      [self, after, limit, promise](caf::error& err) mutable {
        self->state.list_reads -= 1;
        log()->warn("list: the writer could not read the page after '{}' "
                    "({}); scanning memory instead",
                    after, render(err));
        scan_page(self, after, limit, promise);
      });
  return promise;
}

void on_list_slice(cursor_pointer self, uint64_t token) {
  auto& st = self->state;
  auto i = st.list_scans.find(token);
  if (i == st.list_scans.end())
    return; // a stray or stale token
  auto slice = std::max<size_t>(st.opts.list_slice_buckets, 1);
  if (!i->second.scan.step(st.table, slice)) {
    continue_scan(self, token);
    return;
  }
  auto promise = i->second.promise;
  auto page = finish_page(self, i->second.scan);
  st.list_scans.erase(i);
  promise.deliver(std::move(page));
}

uint64_t on_dirty(cursor_pointer self) {
  return self->state.table.dirty_count();
}

caf::result<uint64_t> on_flush(cursor_pointer self) {
  auto& st = self->state;
  if (st.phase == lifecycle::closed)
    return closed_error(st.phase);
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
}

// The online backup (see actors.hpp): what is dirty is committed first, so
// the copy holds every change acknowledged before the request; then the
// writer copies. Both go through the one writer in order, so the copy sees
// that commit.
caf::result<uint64_t> on_backup(cursor_pointer self, const std::string& path) {
  auto& st = self->state;
  if (refuses_writes(st.phase))
    return closed_error(st.phase);
  auto rp = self->make_response_promise<uint64_t>();
  request_write(
      self,
      [self, rp, path](const caf::error& err, uint64_t) mutable {
        if (err) {
          log()->error("backup to '{}' not started: the flush before it "
                       "failed: {}",
                       path, render(err));
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

caf::result<bool> on_delete(cursor_pointer self, const std::string& peer) {
  auto& st = self->state;
  if (refuses_writes(st.phase))
    return closed_error(st.phase);
  if (auto err = validate_peer_id(peer))
    return err;
  auto outcome = st.table.erase(peer);
  if (outcome == erase_outcome::unknown)
    return false;
  // A pending delete is not a known peer, but deleting it again starts a
  // write as before.
  bool existed = outcome == erase_outcome::erased;
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
}

caf::result<checkpoint_info> on_checkpoint(cursor_pointer self) {
  auto& st = self->state;
  if (st.phase == lifecycle::closed)
    return closed_error(st.phase);
  if (!st.writer_alive)
    return writer_gone();
  auto rp = self->make_response_promise<checkpoint_info>();
  if (st.checkpoint) {
    st.checkpoint->waiters.push_back(rp);
    return rp;
  }
  st.checkpoint.emplace(st.counters);
  st.checkpoint->waiters.push_back(rp);
  send_checkpoint(self);
  return rp;
}

cursor_stats on_stats(cursor_pointer self) {
  auto& st = self->state;
  auto result = st.counters;
  result.entries = st.table.size();
  result.dirty = st.table.dirty_count();
  result.closed = st.phase == lifecycle::closed;
  result.db_path = st.opts.storage.db_path;
  if (auto oldest = st.table.oldest_dirty())
    result.oldest_dirty_age_ms
        = std::chrono::duration_cast<std::chrono::milliseconds>(
              self->clock().now() - *oldest)
              .count();
  return result;
}

caf::result<uint64_t> on_close(cursor_pointer self) {
  auto& st = self->state;
  switch (st.phase) {
    case lifecycle::closed:
      return uint64_t{0};
    case lifecycle::stopping:
      return closed_error(st.phase);
    case lifecycle::closing: {
      // A second close joins the first: same answer, one writer close.
      auto rp = self->make_response_promise<uint64_t>();
      st.close_waiters.push_back(rp);
      return rp;
    }
    case lifecycle::open:
      break;
  }
  auto rp = self->make_response_promise<uint64_t>();
  st.close_waiters.push_back(rp);
  move_to(self, lifecycle::closing);
  begin_shutdown(self);
  return rp;
}

void on_retry(cursor_pointer self, uint64_t token) {
  auto& st = self->state;
  if (st.round && st.round->op.is_retry(token)) {
    send_attempt(self);
    return;
  }
  if (st.checkpoint && st.checkpoint->op.is_retry(token)) {
    send_checkpoint(self);
    return;
  }
  log()->debug("ignored stale retry message");
}

void on_tick(cursor_pointer self, uint64_t token) {
  auto& st = self->state;
  if (token == 0 || token != st.tick_token) {
    log()->debug("ignored stale tick message");
    return;
  }
  if (st.phase == lifecycle::closed)
    return; // nothing can be written any more: let the timer lapse
  schedule_tick(self);
  if (!st.round && !st.table.clean() && !refuses_writes(st.phase))
    request_write(self, nullptr, write_trigger::flush);
}

// -- system messages ----------------------------------------------------------

void on_writer_down(cursor_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (msg.source != st.writer.address())
    return;
  st.writer_alive = false;
  if (st.phase == lifecycle::closed)
    return; // the writer ends after close
  auto err
      = caf::make_error(errc::writer_down,
                        "the writer terminated: " + caf::to_string(msg.reason));
  log()->error("{}", render(err));
  st.counters.degraded = true;
  st.counters.last_error = render(err);
  if (st.round || !st.current_waiters.empty() || !st.next_waiters.empty())
    st.counters.flush_errors += 1;
  // The shutdown sequence's own waiter hears this too and finishes (the
  // writer is gone, so closing it ends at once).
  fail_all_waiters(self, err);
}

void on_exit(cursor_pointer self, caf::exit_msg& msg) {
  auto& st = self->state;
  if (!msg.reason) // a normal exit of a linked actor: ignore, as CAF does
    return;
  switch (st.phase) {
    case lifecycle::stopping:
      // A second request to stop: do not wait for the final flush again.
      log()->warn("second exit message during shutdown: stopping now");
      stop(self);
      return;
    case lifecycle::closed:
      log()->debug("stopping ({}) after close", caf::to_string(msg.reason));
      st.stop_reason = std::move(msg.reason);
      move_to(self, lifecycle::stopping);
      stop(self);
      return;
    case lifecycle::closing:
      // The running close is the final flush: quit when it ends.
      log()->info("stopping ({}) once close completes",
                  caf::to_string(msg.reason));
      st.stop_reason = std::move(msg.reason);
      move_to(self, lifecycle::stopping);
      return;
    case lifecycle::open:
      log()->info("stopping ({}): final flush of {} changes",
                  caf::to_string(msg.reason), st.table.dirty_count());
      st.stop_reason = std::move(msg.reason);
      move_to(self, lifecycle::stopping);
      begin_shutdown(self);
      return;
  }
}

} // namespace

// The handler table: every message of `cursor_actor_internal` and where it
// goes.
cursor_actor_internal::behavior_type cursor_behavior(cursor_pointer self,
                                            writer_actor writer,
                                            cursor_table table,
                                            cursor_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.writer = std::move(writer);
  st.table = std::move(table);
  st.table.use_clock([self] { return self->clock().now(); });
  self->monitor(st.writer);
  // Whatever ends this actor, kill included, ends the writer too: a living
  // detached writer would keep the actor system from shutting down.
  self->attach_functor([w = st.writer](const caf::error&) {
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  });
  self->set_down_handler(
      [self](caf::down_msg& msg) { on_writer_down(self, msg); });
  self->set_exit_handler([self](caf::exit_msg& msg) { on_exit(self, msg); });
  // Anyone can send a caf::error message to an actor; it must not kill us.
  self->set_error_handler([](caf::error& err) {
    log()->warn("ignored stray error message: {}", caf::to_string(err));
  });
  self->set_default_handler(
      [](caf::scheduled_actor*,
         caf::message_view& msg) -> caf::result<caf::message> {
        log()->warn("rejected unexpected message: {}",
                    caf::to_string(msg.content()));
        return caf::sec::unexpected_message;
      });
  schedule_tick(self);
  using strings = std::vector<std::string>;
  using std::string;
  return {
      [self](set_atom, const string& peer, const string& id) {
        return on_set(self, peer, id, false);
      },
      [self](set_atom, force_atom, const string& peer, const string& id) {
        return on_set(self, peer, id, true);
      },
      [self](set_atom, const strings& peers, const strings& ids) {
        return on_set_batch(self, peers, ids, false);
      },
      [self](set_atom, force_atom, const strings& peers, const strings& ids) {
        return on_set_batch(self, peers, ids, true);
      },
      [self](get_atom, const string& peer) { return on_get(self, peer); },
      [self](get_atom, start_atom, const string& peer) {
        return on_get_or_start(self, peer);
      },
      [self](list_atom) { return on_list(self); },
      [self](list_atom, const string& after, uint32_t limit) {
        return on_list_page(self, after, limit);
      },
      [self](list_atom, uint64_t token) { on_list_slice(self, token); },
      [self](dirty_atom) { return on_dirty(self); },
      [self](flush_atom) { return on_flush(self); },
      [self](delete_atom, const string& peer) { return on_delete(self, peer); },
      [self](checkpoint_atom) { return on_checkpoint(self); },
      [self](stats_atom) { return on_stats(self); },
      [self](backup_atom, const string& path) { return on_backup(self, path); },
      [self](close_atom) { return on_close(self); },
      [self](retry_atom, uint64_t token) { on_retry(self, token); },
      [self](tick_atom, uint64_t token) { on_tick(self, token); },
  };
}

} // namespace cursor
