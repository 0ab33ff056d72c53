#include "shutdown_sequence.hpp"

#include <utility>

#include "cursor_actor/error.hpp"
#include "logger.hpp"

namespace cursor {

shutdown_sequence::shutdown_sequence(shutdown_port& port) : port_(port) {
  // nop
}

void shutdown_sequence::move_to(lifecycle next) {
  if (!lifecycle_transition(phase_, next)) {
    log()->error("bug: lifecycle {} -> {} is not a transition",
                 to_string(phase_), to_string(next));
    return;
  }
  phase_ = next;
}

void shutdown_sequence::close(closer done) {
  switch (phase_) {
    case lifecycle::closed:
      done(caf::none, 0);
      return;
    case lifecycle::stopping:
      done(closed_error(phase_), 0);
      return;
    case lifecycle::closing:
      // A second close joins the first: same answer, one writer close.
      closers_.push_back(std::move(done));
      return;
    case lifecycle::open:
      break;
  }
  closers_.push_back(std::move(done));
  move_to(lifecycle::closing);
  begin();
}

void shutdown_sequence::exit(caf::error reason) {
  switch (phase_) {
    case lifecycle::stopping:
      // A second request to stop: do not wait for the final flush again.
      log()->warn("second exit message during shutdown: stopping now");
      stop();
      return;
    case lifecycle::closed:
      log()->debug("stopping ({}) after close", caf::to_string(reason));
      stop_reason_ = std::move(reason);
      move_to(lifecycle::stopping);
      stop();
      return;
    case lifecycle::closing:
      // The running close is the final flush: quit when it ends.
      log()->info("stopping ({}) once close completes", caf::to_string(reason));
      stop_reason_ = std::move(reason);
      move_to(lifecycle::stopping);
      return;
    case lifecycle::open:
      log()->info("stopping ({}): final flush of {} changes",
                  caf::to_string(reason), port_.pending_changes());
      stop_reason_ = std::move(reason);
      move_to(lifecycle::stopping);
      begin();
      return;
  }
}

// The flush may end before start_final_flush returns (nothing dirty).
void shutdown_sequence::begin() {
  flushing_ = true;
  port_.start_final_flush();
}

void shutdown_sequence::final_flush_done(const caf::error& err, uint64_t rows) {
  if (!flushing_)
    return;
  flushing_ = false;
  if (err && phase_ == lifecycle::closing) {
    // Keep the store open: the data is still here and a later flush or
    // close may succeed.
    move_to(lifecycle::open);
    log()->error("close: final flush failed, the store stays open: {}",
                 render(err));
    answer_closers(err, 0);
    return;
  }
  if (err) {
    port_.report_unpersisted(err);
    // A close that this stop joined hears the flush failure.
    answer_closers(err, 0);
  } else if (phase_ == lifecycle::stopping) {
    log()->info("final flush wrote {} rows", rows);
  }
  rows_ = rows;
  closing_writer_ = true;
  port_.start_writer_close();
}

void shutdown_sequence::writer_closed(const caf::error& err) {
  if (!closing_writer_)
    return;
  closing_writer_ = false;
  if (phase_ == lifecycle::stopping) {
    if (err)
      log()->warn("closing the database failed: {}", render(err));
    else
      log()->info("database closed");
    answer_closers(err, rows_);
    stop();
    return;
  }
  move_to(lifecycle::closed);
  if (!err)
    port_.on_closed();
  answer_closers(err, rows_);
}

void shutdown_sequence::fail_closers(const caf::error& err) {
  answer_closers(err, 0);
}

void shutdown_sequence::answer_closers(const caf::error& err, uint64_t rows) {
  auto xs = std::move(closers_);
  closers_.clear();
  for (auto& f : xs)
    if (err)
      f(err, 0);
    else
      f(caf::none, rows);
}

void shutdown_sequence::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  port_.stop(stop_reason_);
}

} // namespace cursor
