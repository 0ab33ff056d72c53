// The cursor actor. It never blocks and never includes SQLite: durability is
// the writer's job, waiting on a busy database is done with delayed messages
// to self, and every requester waiting on a write hears how it ended.
//
// Reading order: the handler table at the end (`cursor_behavior`) lists every
// message and the named handler it goes to. The decisions live in the state
// machines of cursor_state.hpp (write rounds, the shutdown sequence, the
// paged list), each a class with its own suite; this file is the glue: the
// handlers, and the ports through which those classes send to the writer,
// set timers and log.

#include "cursor_state.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iterator>
#include <memory>

#include <caf/all.hpp>

#include "cursor_actor/error.hpp"
#include "cursor_actor/peer_id.hpp"
#include "logger.hpp"

namespace cursor {

checkpoint_round::checkpoint_round(cursor_stats& counters)
    : op("cursor_checkpoint", &counters.retries_checkpoint) {
  // nop
}

namespace {

// Wall-clock time for `updated_at`, read on every set: the coarse real-time
// clock costs a few nanoseconds instead of about 20 and is exact to the
// kernel tick (1-4 ms), plenty for a "last changed" stamp.
int64_t wall_clock_ms() {
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

cursor_actor_internal to_self(cursor_pointer self) {
  return caf::actor_cast<cursor_actor_internal>(self);
}

// Asks for every change dirty now to be committed; `done` hears the outcome.
void request_write(cursor_pointer self, write_waiter done,
                   write_trigger trigger) {
  self->state.writes.request(std::move(done), trigger);
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
    self->delayed_send(to_self(self), *delay, retry_atom_v, retry_token);
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

void fail_checkpoint(cursor_pointer self, const caf::error& err) {
  auto& st = self->state;
  if (!st.checkpoint)
    return;
  auto waiters = std::move(st.checkpoint->waiters);
  st.checkpoint.reset();
  for (auto& rp : waiters)
    rp.deliver(err);
}

// -- stopping -----------------------------------------------------------------

// Answers every request still waiting with `err`: the actor quits next.
void fail_all_waiters(cursor_pointer self, const caf::error& err) {
  auto& st = self->state;
  st.writes.fail_all(err);
  fail_checkpoint(self, err);
  st.lists.fail_all(err);
  auto backups = std::move(st.backups);
  st.backups.clear();
  for (auto& kv : backups)
    kv.second.deliver(err);
  auto full_lists = std::move(st.full_lists);
  st.full_lists.clear();
  for (auto& kv : full_lists)
    kv.second.deliver(err);
  st.shutdown.fail_closers(err);
}

void schedule_tick(cursor_pointer self) {
  auto& st = self->state;
  if (st.opts.flush_interval.count() <= 0)
    return;
  st.tick_token = st.new_token();
  self->delayed_send(to_self(self), st.opts.flush_interval, tick_atom_v,
                     st.tick_token);
}

} // namespace

// -- the ports of the state machines ------------------------------------------

cursor_state::cursor_state(cursor_pointer self) : self(self) {
  // nop
}

uint64_t cursor_state::new_token() {
  uint64_t token;
  do
    token = rng();
  while (token == 0);
  return token;
}

bool cursor_state::writer_alive() const {
  return writer_up;
}

bool cursor_state::clean() const {
  return table.clean();
}

size_t cursor_state::dirty_count() const {
  return table.dirty_count();
}

// A write attempt goes to the writer in pieces of `write_piece_size` peers,
// one piece per message of this actor, so that gets and sets interleave
// with a flush of any size (issue 18). The freeze itself is O(chunks); each
// piece copies its peers' values as they are then (a change after the
// freeze keeps its peer dirty, see cursor_table.hpp). The last piece asks
// the writer to commit; the writer sorts the whole batch on its thread.
uint64_t cursor_state::send_attempt(uint64_t token) {
  auto version = table.freeze();
  send_piece(token);
  return version;
}

void cursor_state::send_piece(uint64_t token) {
  if (!writes.is_current(token))
    return; // the round failed or was abandoned: stop sending
  write_batch piece;
  auto more
      = table.next_piece(std::max<size_t>(opts.write_piece_size, 1), piece.ops);
  if (more) {
    self->send(writer, write_atom_v, token, std::move(piece));
    // Through the clock, like the paged list's slices (see schedule_slice):
    // the mailbox empties between pieces.
    self->delayed_send(to_self(self), caf::timespan{0}, write_atom_v, token);
    return;
  }
  auto s = self;
  self->request(writer, caf::infinite, write_atom_v, token, std::move(piece),
                commit_atom_v)
      .then(
          [s, token](uint64_t rows) { s->state.writes.committed(token, rows); },
          [s, token](caf::error& err) {
            s->state.writes.failed(token,
                                   classify_writer_error(std::move(err)));
          });
}

// The commit reads as done at once (begin_commit); the marks it covered are
// cleared a slice per message afterwards.
void cursor_state::commit(uint64_t version) {
  table.begin_commit(version);
  if (commit_token == 0) {
    commit_token = new_token();
    commit_slice(commit_token);
  }
}

void cursor_state::commit_slice(uint64_t token) {
  if (token == 0 || token != commit_token)
    return;
  if (!table.commit_slice(std::max<size_t>(opts.write_piece_size, 1))) {
    commit_token = 0;
    return;
  }
  self->delayed_send(to_self(self), caf::timespan{0}, commit_atom_v, token);
}

void cursor_state::schedule_retry(caf::timespan delay, uint64_t token) {
  self->delayed_send(to_self(self), delay, retry_atom_v, token);
}

caf::actor_clock::time_point cursor_state::now() const {
  return self->clock().now();
}

int64_t cursor_state::unix_ms_now() const {
  return wall_clock_ms();
}

void cursor_state::start_final_flush() {
  auto s = self;
  writes.request(
      [s](const caf::error& err, uint64_t rows) {
        s->state.shutdown.final_flush_done(err, rows);
      },
      write_trigger::flush);
}

void cursor_state::start_writer_close() {
  if (!writer_up) {
    shutdown.writer_closed(writer_gone());
    return;
  }
  auto s = self;
  self->request(writer, caf::infinite, close_atom_v)
      .then([s](ok_atom) { s->state.shutdown.writer_closed(caf::none); },
            [s](caf::error& err) {
              s->state.shutdown.writer_closed(
                  classify_writer_error(std::move(err)));
            });
}

void cursor_state::report_unpersisted(const caf::error& err) {
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

size_t cursor_state::pending_changes() const {
  return table.dirty_count();
}

void cursor_state::on_closed() {
  log()->info("closed '{}' ({} cursors)", opts.storage.db_path, table.size());
}

void cursor_state::stop(const caf::error& reason) {
  fail_all_waiters(self, caf::make_error(errc::stopped,
                                         "the store stopped before the "
                                         "request completed"));
  self->quit(reason);
}

void cursor_state::read_rows(uint64_t token, const std::string& after,
                             uint32_t limit) {
  auto s = self;
  self->request(writer, caf::infinite, list_atom_v, after, limit)
      .then(
          [s, token](std::vector<cursor_entry>& rows) {
            s->state.lists.rows_read(token, std::move(rows));
          },
          [s, token](caf::error& err) {
            s->state.lists.read_failed(token, err);
          });
}

// Not a plain send to self: CAF 0.17 runs an actor's mailbox to the end on
// its worker (max-throughput is unbounded by default), and actors it made
// ready meanwhile wait on that worker until another one steals them (up to
// the relaxed sleep, 10 ms). A self-sent slice never empties the mailbox, so
// a whole page would run as one resume and hold back every actor queued
// behind it. Through the clock (zero delay) the mailbox empties between
// slices, the worker moves on, and the slice comes back at the end of the
// queue.
void cursor_state::schedule_slice(uint64_t token) {
  self->delayed_send(to_self(self), caf::timespan{0}, list_atom_v, token);
}

namespace {

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

// An invalid expected stream ID: same code, says which of the two it was.
caf::error in_expected(const caf::error& err) {
  auto& ctx = err.context();
  auto reason = ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0)
                                                  : caf::to_string(ctx);
  return caf::make_error(static_cast<errc>(err.code()),
                         "expected value: " + reason);
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

// A conditional set's expected state: "" is no cursor, anything else must be
// a stream ID.
caf::error parse_expected(const std::string& text, expected_value& out) {
  if (text.empty()) {
    out.reset();
    return caf::none;
  }
  auto x = stream_id::parse(text);
  if (!x)
    return in_expected(x.error());
  out = *x;
  return caf::none;
}

std::string state_of(const expected_value& x) {
  return x ? x->to_string() : std::string{"no cursor"};
}

caf::error conflict_error(const std::string& peer, const expected_value& want,
                          const expected_value& found, stream_id refused) {
  return caf::make_error(errc::conflict,
                         "cursor of '" + printable(peer) + "': expected "
                             + state_of(want) + ", found " + state_of(found)
                             + "; not set to " + refused.to_string());
}

// A set, plain or forced; conditional when `expected_text` is given.
caf::result<ok_atom> on_set(cursor_pointer self, const std::string& peer,
                            const std::string* expected_text,
                            const std::string& text, bool force) {
  auto& st = self->state;
  if (st.shutdown.refuses_writes())
    return closed_error(st.shutdown.phase());
  stream_id id;
  if (auto err = parse_update(peer, text, id))
    return err;
  expected_value want;
  if (expected_text != nullptr)
    if (auto err = parse_expected(*expected_text, want))
      return err;
  expected_value found;
  auto out
      = expected_text != nullptr
            ? st.table.set_if(peer, want, id, wall_clock_ms(), force, &found)
            : st.table.set(peer, id, wall_clock_ms(), force, &found.emplace());
  switch (out) {
    case set_outcome::unchanged:
      return ok_atom_v;
    case set_outcome::regression:
      return regression_error(peer, *found, id);
    case set_outcome::conflict:
      return conflict_error(peer, want, found, id);
    case set_outcome::changed:
      break;
  }
  if (debug_enabled())
    log()->debug("set '{}' = {}{}{}", printable(peer), id.to_string(),
                 force ? " (forced)" : "",
                 expected_text != nullptr ? " (conditional)" : "");
  st.writes.changed();
  return ok_atom_v;
}

// The batched set: all entries or none (see actors.hpp). Validation and
// parsing first, without touching the table; then the table applies the
// entries in order, undoing them all at the first refusal. `force` (the
// forced batched set) lets entries move cursors backwards; `expected_texts`
// (the conditional batched set) holds each entry's expected state.
caf::result<ok_atom>
on_set_batch(cursor_pointer self, const std::vector<std::string>& peers,
             const std::vector<std::string>* expected_texts,
             const std::vector<std::string>& texts, bool force) {
  auto& st = self->state;
  if (st.shutdown.refuses_writes())
    return closed_error(st.shutdown.phase());
  auto n = peers.size();
  if (texts.size() != n || (expected_texts && expected_texts->size() != n)) {
    auto what = std::to_string(n) + " peers but " + std::to_string(texts.size())
                + " stream IDs";
    if (expected_texts != nullptr)
      what += " and " + std::to_string(expected_texts->size())
              + " expected values";
    return caf::make_error(errc::invalid_stream_id,
                           "the batch has " + what + "; nothing was applied");
  }
  std::vector<stream_id> ids(n);
  std::vector<expected_value> wanted(expected_texts != nullptr ? n : 0);
  for (size_t k = 0; k < n; ++k) {
    if (auto err = parse_update(peers[k], texts[k], ids[k]))
      return in_batch(err, k, n);
    if (expected_texts != nullptr)
      if (auto err = parse_expected((*expected_texts)[k], wanted[k]))
        return in_batch(err, k, n);
  }
  auto out = st.table.set_all(peers, ids, wall_clock_ms(), force,
                              expected_texts != nullptr ? &wanted : nullptr);
  if (out.refused < n) {
    auto k = out.refused;
    if (out.reason == set_outcome::conflict)
      return in_batch(conflict_error(peers[k], wanted[k], out.found, ids[k]), k,
                      n);
    return in_batch(regression_error(peers[k], *out.found, ids[k]), k, n);
  }
  if (debug_enabled())
    log()->debug("set batch of {} entries, {} changed{}{}", n, out.changed,
                 force ? " (forced)" : "",
                 expected_texts != nullptr ? " (conditional)" : "");
  st.writes.changed();
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

// The one-message `list`, served in pages inside the store (issue 18): the
// actor asks itself for the paged list, page after page, each a message of
// its own, so other requests interleave; only the finished vector is moved
// into the reply. Same guarantees as a paged listing (docs/PROTOCOL.md).
constexpr uint32_t list_all_page = 4096;

// Answers the one-message list `token` (if still waiting) and forgets it.
template <class T>
void finish_list_all(cursor_pointer self, uint64_t token, T&& x) {
  auto& waiting = self->state.full_lists;
  if (auto i = waiting.find(token); i != waiting.end()) {
    i->second.deliver(std::forward<T>(x));
    waiting.erase(i);
  }
}

void list_all_from(cursor_pointer self, uint64_t token,
                   std::shared_ptr<std::vector<cursor_entry>> acc,
                   std::string after) {
  self->request(to_self(self), caf::infinite, list_atom_v, std::move(after),
                list_all_page)
      .then(
          [self, token, acc](cursor_page& page) {
            acc->insert(acc->end(),
                        std::make_move_iterator(page.entries.begin()),
                        std::make_move_iterator(page.entries.end()));
            if (page.more)
              list_all_from(self, token, acc, std::move(page.next));
            else
              finish_list_all(self, token, std::move(*acc));
          },
          [self, token](caf::error& err) {
            finish_list_all(self, token, std::move(err));
          });
}

caf::result<std::vector<cursor_entry>> on_list(cursor_pointer self) {
  auto& st = self->state;
  auto rp = self->make_response_promise<std::vector<cursor_entry>>();
  // Kept until the last page, so that a stop meanwhile answers it.
  auto token = st.new_token();
  st.full_lists.emplace(token, rp);
  list_all_from(self, token, std::make_shared<std::vector<cursor_entry>>(),
                std::string{});
  return rp;
}

uint64_t on_dirty(cursor_pointer self) {
  return self->state.table.dirty_count();
}

// A page of the paged list (paged_list.hpp): read by the writer and overlaid
// with the table's changes, or scanned from memory when the writer cannot
// read; the caller sees the same page either way.
caf::result<cursor_page>
on_list_page(cursor_pointer self, const std::string& after, uint32_t limit) {
  auto& st = self->state;
  if (auto err = st.lists.admit(limit))
    return err;
  auto rp = self->make_response_promise<cursor_page>();
  st.lists.start(after, limit,
                 st.writer_up && st.shutdown.phase() == lifecycle::open,
                 [rp](caf::expected<cursor_page> page) mutable {
                   if (page)
                     rp.deliver(std::move(*page));
                   else
                     rp.deliver(page.error());
                 });
  return rp;
}

void on_list_slice(cursor_pointer self, uint64_t token) {
  self->state.lists.slice(token);
}

caf::result<uint64_t> on_flush(cursor_pointer self) {
  auto& st = self->state;
  if (st.shutdown.phase() == lifecycle::closed)
    return closed_error(st.shutdown.phase());
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
  if (st.shutdown.refuses_writes())
    return closed_error(st.shutdown.phase());
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
        if (!st.writer_up) {
          rp.deliver(writer_gone());
          return;
        }
        // Kept until the writer answers, so that a stop meanwhile answers it.
        auto token = st.new_token();
        st.backups.emplace(token, rp);
        self->request(st.writer, caf::infinite, backup_atom_v, path)
            .then(
                [self, token](uint64_t rows) {
                  auto& backups = self->state.backups;
                  if (auto i = backups.find(token); i != backups.end()) {
                    i->second.deliver(rows);
                    backups.erase(i);
                  }
                },
                [self, token](caf::error& e) {
                  auto& backups = self->state.backups;
                  if (auto i = backups.find(token); i != backups.end()) {
                    i->second.deliver(classify_writer_error(std::move(e)));
                    backups.erase(i);
                  }
                });
      },
      write_trigger::flush);
  return rp;
}

caf::result<bool> on_delete(cursor_pointer self, const std::string& peer) {
  auto& st = self->state;
  if (st.shutdown.refuses_writes())
    return closed_error(st.shutdown.phase());
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
  if (st.shutdown.phase() == lifecycle::closed)
    return closed_error(st.shutdown.phase());
  if (!st.writer_up)
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
  result.closed = st.shutdown.phase() == lifecycle::closed;
  result.db_path = st.opts.storage.db_path;
  if (auto oldest = st.table.oldest_dirty())
    result.oldest_dirty_age_ms
        = std::chrono::duration_cast<std::chrono::milliseconds>(
              self->clock().now() - *oldest)
              .count();
  return result;
}

caf::result<uint64_t> on_close(cursor_pointer self) {
  auto rp = self->make_response_promise<uint64_t>();
  self->state.shutdown.close(
      [rp](const caf::error& err, uint64_t rows) mutable {
        if (err)
          rp.deliver(err);
        else
          rp.deliver(rows);
      });
  return rp;
}

void on_retry(cursor_pointer self, uint64_t token) {
  auto& st = self->state;
  if (st.writes.retry(token))
    return;
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
  if (st.shutdown.phase() == lifecycle::closed)
    return; // nothing can be written any more: let the timer lapse
  schedule_tick(self);
  if (!st.shutdown.refuses_writes())
    st.writes.tick();
}

// -- system messages ----------------------------------------------------------

void on_writer_down(cursor_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (msg.source != st.writer.address())
    return;
  st.writer_up = false;
  if (st.shutdown.phase() == lifecycle::closed)
    return; // the writer ends after close
  auto err
      = caf::make_error(errc::writer_down,
                        "the writer terminated: " + caf::to_string(msg.reason));
  log()->error("{}", render(err));
  // The shutdown sequence's own waiter hears this too and finishes (the
  // writer is gone, so closing it ends at once). Paged lists go on: a scan
  // needs no writer, and a read in flight fails and falls back to one.
  st.writes.writer_lost(err);
  fail_checkpoint(self, err);
  st.shutdown.fail_closers(err);
}

void on_exit(cursor_pointer self, caf::exit_msg& msg) {
  if (!msg.reason) // a normal exit of a linked actor: ignore, as CAF does
    return;
  self->state.shutdown.exit(std::move(msg.reason));
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
        return on_set(self, peer, nullptr, id, false);
      },
      [self](set_atom, force_atom, const string& peer, const string& id) {
        return on_set(self, peer, nullptr, id, true);
      },
      [self](set_atom, const strings& peers, const strings& ids) {
        return on_set_batch(self, peers, nullptr, ids, false);
      },
      [self](set_atom, force_atom, const strings& peers, const strings& ids) {
        return on_set_batch(self, peers, nullptr, ids, true);
      },
      [self](set_atom, expect_atom, const string& peer, const string& want,
             const string& id) { return on_set(self, peer, &want, id, false); },
      [self](set_atom, expect_atom, force_atom, const string& peer,
             const string& want,
             const string& id) { return on_set(self, peer, &want, id, true); },
      [self](set_atom, expect_atom, const strings& peers, const strings& wants,
             const strings& ids) {
        return on_set_batch(self, peers, &wants, ids, false);
      },
      [self](set_atom, expect_atom, force_atom, const strings& peers,
             const strings& wants, const strings& ids) {
        return on_set_batch(self, peers, &wants, ids, true);
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
      [self](write_atom, uint64_t token) { self->state.send_piece(token); },
      [self](commit_atom, uint64_t token) { self->state.commit_slice(token); },
  };
}

} // namespace cursor
