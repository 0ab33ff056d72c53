#include "write_scheduler.hpp"

#include <utility>

#include "cursor_actor/error.hpp"
#include "logger.hpp"

namespace cursor {

namespace {

// Moves the waiters out before calling them: a waiter may start the next
// round, or (the actor stopping) fail everything again.
void answer(std::vector<write_waiter>& waiters, const caf::error& err,
            uint64_t rows) {
  auto xs = std::move(waiters);
  waiters.clear();
  for (auto& f : xs)
    if (f)
      f(err, rows);
}

caf::error writer_gone() {
  return caf::make_error(errc::writer_down, "the writer has terminated");
}

} // namespace

write_scheduler::round::round(write_trigger trigger, cursor_stats& counters)
    : op(trigger == write_trigger::erase ? "cursor_delete" : "cursor_flush",
         trigger == write_trigger::erase ? &counters.retries_delete
                                         : &counters.retries_flush),
      trigger(trigger) {
  // nop
}

write_scheduler::write_scheduler(write_port& port, const cursor_options& opts,
                                 cursor_stats& counters)
    : port_(port), opts_(opts), counters_(counters) {
  // nop
}

void write_scheduler::request(write_waiter done, write_trigger trigger) {
  if (!port_.writer_alive()) {
    if (done)
      done(writer_gone(), 0);
    return;
  }
  if (round_) {
    // The running round took its snapshot already; changes made since then
    // need the next one.
    if (done)
      next_.push_back(std::move(done));
    if (trigger == write_trigger::erase)
      next_trigger_ = trigger;
    return;
  }
  if (port_.clean()) {
    if (done)
      done(caf::none, 0);
    return;
  }
  if (done)
    current_.push_back(std::move(done));
  start_round(trigger);
}

void write_scheduler::changed() {
  if (round_ || opts_.dirty_threshold == 0
      || port_.dirty_count() < opts_.dirty_threshold)
    return;
  // After a failed round, wait one backoff: a failing database must not get
  // a transaction from every set.
  if (port_.now() < threshold_paused_until_)
    return;
  request(nullptr, write_trigger::flush);
}

void write_scheduler::tick() {
  if (!round_ && !port_.clean())
    request(nullptr, write_trigger::flush);
}

void write_scheduler::start_round(write_trigger trigger) {
  round_.emplace(trigger, counters_);
  send_attempt();
}

// Each attempt is built from the table as it is now: a set or delete that
// arrived during a backoff wins over what an earlier attempt carried.
void write_scheduler::send_attempt() {
  auto token = port_.new_token();
  round_->op.begin_attempt(token);
  round_->version = port_.send_attempt(token);
}

void write_scheduler::committed(uint64_t token, uint64_t rows) {
  if (!is_current(token))
    return;
  port_.commit(round_->version);
  counters_.flushes += 1;
  counters_.rows_written += rows;
  counters_.last_flush_unix_ms = port_.unix_ms_now();
  counters_.degraded = false;
  counters_.last_error.clear();
  threshold_paused_until_ = {};
  log()->debug("committed {} rows ({} still dirty)", rows, port_.dirty_count());
  round_.reset();
  answer(current_, caf::none, rows);
  after_round(rows);
}

// The requests that arrived during the round that just committed get
// theirs.
void write_scheduler::after_round(uint64_t last_rows) {
  if (round_)
    return; // a waiter's callback started one already
  if (next_.empty()) {
    changed();
    return;
  }
  auto trigger = std::exchange(next_trigger_, write_trigger::flush);
  if (port_.clean()) {
    // Everything they needed was in the round that just committed.
    answer(next_, caf::none, last_rows);
    return;
  }
  current_ = std::move(next_);
  next_.clear();
  start_round(trigger);
}

void write_scheduler::failed(uint64_t token, caf::error err) {
  if (!is_current(token))
    return;
  auto& r = *round_;
  if (is(err, errc::busy)) {
    auto retry_token = port_.new_token();
    if (auto delay = r.op.plan_retry(opts_.retry, retry_token, render(err))) {
      port_.schedule_retry(*delay, retry_token);
      return;
    }
    err = caf::make_error(errc::busy, r.op.gave_up(render(err)));
  }
  counters_.flush_errors += 1;
  counters_.degraded = true;
  counters_.last_error = render(err);
  threshold_paused_until_ = port_.now() + opts_.retry.max_delay;
  log()->error("{} failed, {} changes stay dirty: {}", r.op.name(),
               port_.dirty_count(), render(err));
  round_.reset();
  // Everything that waited on this data failed, including requests queued
  // behind the round: their data was part of what failed.
  auto waiters = std::move(current_);
  current_.clear();
  for (auto& f : next_)
    waiters.push_back(std::move(f));
  next_.clear();
  next_trigger_ = write_trigger::flush;
  answer(waiters, err, 0);
}

bool write_scheduler::retry(uint64_t token) {
  if (!round_ || !round_->op.is_retry(token))
    return false;
  send_attempt();
  return true;
}

void write_scheduler::writer_lost(const caf::error& err) {
  counters_.degraded = true;
  counters_.last_error = render(err);
  if (round_ || waiting() > 0)
    counters_.flush_errors += 1;
  fail_all(err);
}

void write_scheduler::fail_all(const caf::error& err) {
  round_.reset();
  next_trigger_ = write_trigger::flush;
  answer(current_, err, 0);
  answer(next_, err, 0);
}

} // namespace cursor
