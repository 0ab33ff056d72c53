#include "common/host_service.hpp"

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/exit_reason.hpp>
#include <caf/others.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/logger.h>
#include <spdlog/spdlog.h>

#include "common/describe.hpp"
#include "common/metrics_file.hpp"
#include "common/program.hpp"
#include "common/service_notify.hpp"
#include "common/signal_hub.hpp"
#include "common/status_board.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/spawn.hpp"
#include "cursor_actor/stats.hpp"

namespace cursor::app {

namespace {

using clock = host_context::clock;

} // namespace

// -- host_context -------------------------------------------------------------

host_context::host_context(caf::actor_system& sys, const host_options& opts,
                           std::shared_ptr<spdlog::logger> log)
    : sys_(sys), opts_(opts), log_(std::move(log)), self_(sys) {
  // nop
}

void host_context::end_run(int code) {
  running_ = false;
  fail(code);
}

caf::timespan host_context::until(clock::time_point deadline) {
  auto left = deadline - clock::now();
  return std::max(caf::timespan{std::chrono::milliseconds(1)},
                  std::chrono::duration_cast<caf::timespan>(left));
}

// -- program defaults ---------------------------------------------------------

void program::configure(caf::actor_system_config&) {
  // nop
}

std::string program::check_file(const caf::settings&) {
  return {};
}

void program::prepare(const std::shared_ptr<spdlog::logger>&,
                      const host_options&) {
  // nop
}

caf::message_handler program::handlers(host_context&) {
  return {};
}

bool program::on_down(host_context&, const caf::down_msg&) {
  return false;
}

std::string program::metrics(host_context&, caf::timespan) {
  return {};
}

std::string program::not_ready(host_context&) {
  return {};
}

int program::exit_code(host_context&, int code) {
  return code;
}

// -- host_service -------------------------------------------------------------

host_service::host_service(caf::actor_system& sys, program& prog,
                           const host_options& opts,
                           std::shared_ptr<spdlog::logger> log,
                           signal_hub& signals, status_board& board)
    : program_(prog), ctx_(sys, opts, std::move(log)), signals_(signals),
      board_(board) {
  // nop
}

int host_service::run(bool new_database) {
  board_.set_phase(host_phase::starting);
  if (ctx_.options().store && !open_store())
    return exit_startup;
  auto started = program_.start(ctx_);
  if (!started.refusal.empty()) {
    refuse(started.refusal);
    stop_store_quietly();
    return exit_startup;
  }
  // Logged once the start succeeded (a refusal stays one line), and before
  // the program's line, which is the last line of a start.
  if (new_database) {
    const auto& traits = program_.traits();
    ctx_.log().warn("the database '{}' did not exist: created it, empty{}",
                    ctx_.options().store->storage.db_path,
                    traits.new_database_note.empty()
                        ? std::string{}
                        : " (" + traits.new_database_note + ")");
  }
  ctx_.log().info("{}", started.log_line);
  board_.set_phase(host_phase::serving);
  notify_ready(ctx_.log(), started.status);
  signals_.set_target(ctx_.supervisor());
  if (auto signo = signals_.take_pending())
    ctx_.log().info("received {}: shutting down", signal_name(signo));
  else
    serve();
  signals_.clear_target();
  return shut_down();
}

// A refusal to start is one line on stderr, whatever the log level.
void host_service::refuse(const std::string& text) {
  std::cerr << program_.traits().info.name << ": error: " << text << std::endl;
}

bool host_service::open_store() {
  const auto& store_opts = *ctx_.options().store;
  // The factory logs the error it returns; the refusal is to stay one line,
  // so the library's line is muted while opening.
  auto cursor_log = spdlog::get("cursor");
  auto level = cursor_log ? cursor_log->level() : spdlog::level::info;
  if (cursor_log)
    cursor_log->set_level(spdlog::level::off);
  auto store = spawn_cursor_store(ctx_.system(), store_opts);
  if (cursor_log)
    cursor_log->set_level(level);
  if (!store) {
    refuse("cannot open the database '" + store_opts.storage.db_path
           + "': " + describe(store.error()));
    return false;
  }
  ctx_.store_ = std::move(*store);
  ctx_.self()->monitor(ctx_.store_);
  bool answered = false;
  ctx_.self()
      ->request(ctx_.store_, ctx_.options().request_timeout, stats_atom_v)
      .receive(
          [&](const cursor_stats& x) {
            ctx_.restored_ = x.entries;
            answered = true;
          },
          [&](caf::error& err) {
            refuse("the store did not answer after opening: " + describe(err));
          });
  if (!answered)
    stop_store_quietly();
  return answered;
}

// After a refusal to start: nobody has connected, nothing is dirty, and the
// refusal is to stay the one line on stderr, so only problems of the
// store's stop are logged.
void host_service::stop_store_quietly() {
  if (!ctx_.store_)
    return;
  auto cursor_log = spdlog::get("cursor");
  if (cursor_log && cursor_log->level() < spdlog::level::warn)
    cursor_log->set_level(spdlog::level::warn);
  if (!cursor::stop_store(ctx_.system(), ctx_.store_,
                          ctx_.options().shutdown_timeout))
    caf::anon_send_exit(ctx_.store_, caf::exit_reason::kill);
  ctx_.store_ = nullptr;
}

void host_service::serve() {
  auto& self = ctx_.self();
  auto handler = program_.handlers(ctx_);
  bool refreshing = refreshes();
  auto next_refresh = clock::now();
  while (ctx_.running()) {
    if (refreshing && clock::now() >= next_refresh) {
      refresh();
      next_refresh = clock::now() + ctx_.options().metrics_interval;
    }
    auto wait = refreshing ? host_context::until(next_refresh)
                           : caf::timespan{std::chrono::hours(1)};
    self->receive(
        [&](signal_atom, int32_t signo) {
          ctx_.log().info("received {}: shutting down", signal_name(signo));
          ctx_.end_run();
        },
        [&](caf::down_msg& msg) {
          if (ctx_.store_ && msg.source == ctx_.store_.address()) {
            ctx_.log().error("the cursor store terminated unexpectedly ({}); "
                             "shutting down",
                             describe(msg.reason));
            ctx_.store_ = nullptr;
            ctx_.end_run(exit_unclean);
          } else if (!program_.on_down(ctx_, msg)) {
            ctx_.log().debug("ignored a down message from an actor the "
                             "host does not know");
          }
        },
        caf::others >> [&](caf::message_view& x) -> caf::result<caf::message> {
          auto msg = x.move_content_to_message();
          if (!handler(msg))
            ctx_.log().debug("ignored an unexpected message: {}",
                             caf::to_string(msg));
          return caf::message{};
        },
        caf::after(wait) >>
            [] {
              // Time for a refresh; handled at the top of the loop.
            });
  }
}

// Someone reads what a refresh publishes: the metrics file or the HTTP
// endpoint (which reads the board).
bool host_service::refreshes() const {
  const auto& opts = ctx_.options();
  return !opts.metrics_file.empty() || opts.http_address.has_value();
}

// While serving, a slow answer is skipped (the next refresh comes soon).
// The last one at the shutdown waits longer for the program's part, which
// says how the run ended (the tailer's stopped peers and their reasons).
void host_service::refresh(std::optional<caf::timespan> program_wait) {
  const auto& opts = ctx_.options();
  auto timeout = std::min(opts.request_timeout, opts.metrics_interval);
  auto text = program_.metrics(ctx_, program_wait.value_or(timeout));
  std::string not_ready;
  if (opts.store) {
    if (!ctx_.store_) {
      not_ready = "the cursor store terminated";
    } else {
      not_ready = "the cursor store did not answer";
      ctx_.self()
          ->request(ctx_.store_, timeout, stats_atom_v)
          .receive(
              [&](const cursor_stats& x) {
                text += to_prometheus(x);
                if (x.closed)
                  not_ready = "the cursor store is closed";
                else if (x.degraded)
                  not_ready = "the cursor store is degraded (its last write "
                              "failed)";
                else
                  not_ready.clear();
              },
              [&](caf::error& err) {
                ctx_.log().warn("metrics: the store did not answer: {}",
                                describe(err));
              });
    }
  }
  if (not_ready.empty())
    not_ready = program_.not_ready(ctx_);
  board_.publish(text, std::move(not_ready));
  if (opts.metrics_file.empty())
    return;
  auto err = write_file_atomically(opts.metrics_file, text);
  if (!err.empty()) {
    // Once per failure streak: the file is rewritten every few seconds.
    if (!metrics_failing_)
      ctx_.log().warn("metrics: {}", err);
    metrics_failing_ = true;
  } else if (metrics_failing_) {
    ctx_.log().info("metrics: writing '{}' works again", opts.metrics_file);
    metrics_failing_ = false;
  }
}

int host_service::shut_down() {
  board_.set_phase(host_phase::stopping);
  notify_stopping(ctx_.log(), "shutting down");
  const auto& opts = ctx_.options();
  auto deadline = clock::now() + opts.shutdown_timeout;
  // The final flush may use most of the time; the rest is kept for
  // stopping the store and, if that fails, naming what is lost, so that the
  // process still exits by the deadline.
  reserve_ = std::min(caf::timespan{opts.shutdown_timeout / 4},
                      caf::timespan{std::chrono::seconds(1)});
  program_.stop(ctx_, deadline - reserve_);
  close_store(deadline - reserve_);
  if (refreshes())
    refresh(host_context::until(deadline - reserve_));
  program_.release(ctx_);
  stop_store(deadline - reserve_ / 2);
  return program_.exit_code(ctx_, ctx_.exit_code());
}

void host_service::close_store(clock::time_point deadline) {
  if (!ctx_.store_)
    return;
  // close = final flush + TRUNCATE checkpoint + close. If the flush fails
  // the store stays open and says so; its exit message (stop_store) then
  // tries once more.
  ctx_.self()
      ->request(ctx_.store_, host_context::until(deadline), close_atom_v)
      .receive(
          [&](uint64_t rows) {
            ctx_.log().info("final flush wrote {} rows; database "
                            "checkpointed and closed",
                            rows);
          },
          [&](caf::error& err) {
            if (err == caf::sec::request_timeout)
              ctx_.log().error(
                  "final flush did not finish within the shutdown deadline "
                  "({} ms)",
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      ctx_.options().shutdown_timeout)
                      .count());
            else
              ctx_.log().error("final flush failed: {}", describe(err));
            ctx_.fail(exit_unclean);
          });
}

void host_service::stop_store(clock::time_point deadline) {
  if (!ctx_.store_)
    return;
  if (!cursor::stop_store(ctx_.system(), ctx_.store_,
                          host_context::until(deadline))) {
    ctx_.log().error("the store did not stop within the shutdown deadline; "
                     "killing it");
    log_unpersisted(reserve_ / 4);
    caf::anon_send_exit(ctx_.store_, caf::exit_reason::kill);
    ctx_.fail(exit_deadline);
  }
  ctx_.store_ = nullptr;
}

// Before killing a store that could not finish its final flush: name what is
// lost. The store still answers reads while it retries.
void host_service::log_unpersisted(caf::timespan timeout) {
  auto& self = ctx_.self();
  auto& log = ctx_.log();
  uint64_t listed = 0;
  self->request(ctx_.store_, timeout, list_atom_v)
      .receive(
          [&](const std::vector<cursor_entry>& xs) {
            for (auto& x : xs)
              if (!x.durable) {
                ++listed;
                log.error("not persisted: '{}' = {}", x.peer, x.stream_id);
              }
          },
          [&](caf::error& err) {
            log.error("cannot list the changes that were not persisted: {}",
                      describe(err));
          });
  self->request(ctx_.store_, timeout, dirty_atom_v)
      .receive(
          [&](uint64_t dirty) {
            log.error("{} changes were NOT persisted", dirty);
            if (dirty > listed)
              log.error("not persisted: {} deletes", dirty - listed);
          },
          [](caf::error&) {});
}

} // namespace cursor::app
