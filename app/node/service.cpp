#include "node/service.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/logger.h>
#include <spdlog/spdlog.h>

#include "common/describe.hpp"
#include "common/metrics_file.hpp"
#include "common/service_notify.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/spawn.hpp"
#include "cursor_actor/stats.hpp"
#include "node/accept_guard.hpp"
#include "node/exit_codes.hpp"
#include "node/front.hpp"

namespace cursor::node {

namespace {

using steady = std::chrono::steady_clock;

std::string endpoint(const std::string& address, uint16_t port) {
  auto host = address.empty() ? std::string{"0.0.0.0"} : address;
  if (host.find(':') != std::string::npos)
    host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

// A refusal to start is one line on stderr, whatever the log level.
void refuse(const std::string& text) {
  std::cerr << "cursor_node: error: " << text << std::endl;
}

class node_service {
public:
  node_service(caf::actor_system& sys, const node_options& opts,
               std::shared_ptr<spdlog::logger> log, app::signal_hub& signals)
      : sys_(sys), opts_(opts), log_(std::move(log)), signals_(signals),
        self_(sys) {
    // nop
  }

  int run() {
    if (!open_store())
      return exit_startup;
    if (!publish_first()) {
      stop_store_now();
      return exit_startup;
    }
    signals_.set_target(caf::actor_cast<caf::actor>(self_));
    if (auto signo = signals_.take_pending())
      log_->info("received {}: shutting down", app::signal_name(signo));
    else
      serve();
    signals_.clear_target();
    return shut_down();
  }

private:
  // The one place the node listens: plain BASP, or BASP inside mutual TLS
  // (node_config checked the files and loaded the openssl manager). Both
  // doormen belong to the one BASP broker, so middleman().close(port) closes
  // either.
  caf::expected<uint16_t> publish_front(uint16_t port, bool reuse) {
    const char* address
        = opts_.bind_address.empty() ? nullptr : opts_.bind_address.c_str();
    if (opts_.tls.enabled())
      return caf::openssl::publish(front_, port, address, reuse);
    return sys_.middleman().publish(front_, port, address, reuse);
  }

  caf::timespan until(steady::time_point deadline) const {
    auto left = deadline - steady::now();
    return std::max(caf::timespan{std::chrono::milliseconds(1)},
                    std::chrono::duration_cast<caf::timespan>(left));
  }

  bool open_store() {
    // The factory logs the error it returns; the node reports it once, as
    // its one refusal line, so the library's line is muted while opening.
    auto cursor_log = spdlog::get("cursor");
    auto level = cursor_log ? cursor_log->level() : spdlog::level::info;
    if (cursor_log)
      cursor_log->set_level(spdlog::level::off);
    // A wrong path silently starting from nothing is a classic mistake:
    // say so when the database is new.
    // main() created the file empty to lock it: empty counts as new.
    std::error_code ec;
    bool existed
        = std::filesystem::exists(opts_.store.storage.db_path, ec)
          && std::filesystem::file_size(opts_.store.storage.db_path, ec) > 0
          && !ec;
    auto store = spawn_cursor_store(sys_, opts_.store);
    if (cursor_log)
      cursor_log->set_level(level);
    if (!store) {
      refuse("cannot open the database '" + opts_.store.storage.db_path
             + "': " + app::describe(store.error()));
      return false;
    }
    store_ = std::move(*store);
    self_->monitor(store_);
    new_database_ = !existed;
    return true;
  }

  bool publish_first() {
    uint64_t restored = 0;
    bool answered = false;
    self_->request(store_, opts_.request_timeout, stats_atom_v)
        .receive(
            [&](const cursor_stats& x) {
              restored = x.entries;
              answered = true;
            },
            [&](caf::error& err) {
              refuse("the store did not answer after opening: "
                     + app::describe(err));
            });
    if (!answered)
      return false;
    front_ = spawn_front(sys_, store_, opts_.request_timeout, log_,
                         opts_.backup_dir);
    self_->monitor(front_);
    // SO_REUSEADDR: after a crash, connections of the old process linger in
    // TIME_WAIT on this port and would keep a restarted node from binding
    // it for a minute; a second live listener is still refused.
    auto port = publish_front(opts_.port, true);
    if (!port) {
      refuse("cannot listen on " + endpoint(opts_.bind_address, opts_.port)
             + ": " + app::describe(port.error()));
      self_->send_exit(front_, caf::exit_reason::kill);
      front_ = nullptr;
      return false;
    }
    port_ = *port;
    // Logged once the start succeeded (a refusal stays one line), and before
    // the listening line, which is the last line of a start.
    if (new_database_)
      log_->warn("the database '{}' did not exist: created it, empty",
                 opts_.store.storage.db_path);
    if (!opts_.backup_dir.empty())
      log_->info("backups (cursorctl backup NAME) go to '{}'",
                 opts_.backup_dir);
    log_->info("listening on {}, database '{}', {} cursors restored",
               endpoint(opts_.bind_address, port_), opts_.store.storage.db_path,
               restored);
    app::notify_ready(*log_,
                      "listening on " + endpoint(opts_.bind_address, port_));
    return true;
  }

  void serve() {
    bool running = true;
    bool metrics = !opts_.metrics_file.empty();
    auto next_metrics = steady::now();
    while (running) {
      if (metrics && steady::now() >= next_metrics) {
        write_metrics();
        next_metrics = steady::now() + opts_.metrics_interval;
      }
      caf::timespan wait = metrics ? until(next_metrics)
                                   : caf::timespan{std::chrono::hours(1)};
      self_->receive(
          [&](app::signal_atom, int32_t signo) {
            log_->info("received {}: shutting down", app::signal_name(signo));
            running = false;
          },
          [&](caf::down_msg& msg) {
            if (front_ && msg.source == front_.address()) {
              running = republish(msg.reason);
            } else if (store_ && msg.source == store_.address()) {
              log_->error("the cursor store terminated unexpectedly ({}); "
                          "shutting down",
                          app::describe(msg.reason));
              store_ = nullptr;
              exit_code_ = exit_unclean;
              running = false;
            }
          },
          caf::after(wait) >>
              [] {
                // Time for the metrics file; handled at the top of the loop.
              });
    }
  }

  // A peer killed the front (or it died some other way): close its port and
  // publish a fresh front there. The store is not involved.
  bool republish(const caf::error& reason) {
    ++front_restarts_;
    log_->warn("the front actor terminated ({}); replacing it on {}",
               app::describe(reason), endpoint(opts_.bind_address, port_));
    if (auto closed = sys_.middleman().close(port_); !closed)
      log_->debug("closing port {}: {}", port_, app::describe(closed.error()));
    front_ = spawn_front(sys_, store_, opts_.request_timeout, log_,
                         opts_.backup_dir);
    self_->monitor(front_);
    // The middleman closes the old listening socket asynchronously, on its
    // multiplexer thread: binding the port again may fail for a moment.
    // Retry with backoff, bounded (about 4 s), still answering signals.
    auto delay = caf::timespan{std::chrono::milliseconds(10)};
    auto port = publish_front(port_, true);
    for (int attempt = 1; !port && attempt < 20; ++attempt) {
      bool signalled = false;
      self_->receive(
          [&](app::signal_atom, int32_t signo) {
            log_->info("received {}: shutting down", app::signal_name(signo));
            signalled = true;
          },
          caf::after(delay) >> [] {});
      if (signalled) {
        self_->send_exit(front_, caf::exit_reason::kill);
        front_ = nullptr;
        return false;
      }
      delay
          = std::min(delay * 2, caf::timespan{std::chrono::milliseconds(250)});
      port = publish_front(port_, true);
    }
    if (!port) {
      log_->error("cannot republish the front on {}: {}; shutting down",
                  endpoint(opts_.bind_address, port_),
                  app::describe(port.error()));
      self_->send_exit(front_, caf::exit_reason::kill);
      front_ = nullptr;
      exit_code_ = exit_unclean;
      return false;
    }
    log_->info("republished the front on {} (restart {})",
               endpoint(opts_.bind_address, *port), front_restarts_);
    return true;
  }

  void write_metrics() {
    std::string text;
    auto timeout = std::min(opts_.request_timeout, opts_.metrics_interval);
    self_->request(store_, timeout, stats_atom_v)
        .receive([&](const cursor_stats& x) { text = to_prometheus(x); },
                 [&](caf::error& err) {
                   log_->warn("metrics: the store did not answer: {}",
                              app::describe(err));
                 });
    if (text.empty())
      return;
    text += "# HELP replication_cursor_node_front_restarts_total Fronts "
            "republished after the published one died.\n"
            "# TYPE replication_cursor_node_front_restarts_total counter\n"
            "replication_cursor_node_front_restarts_total "
            + std::to_string(front_restarts_) + "\n"
            + "# HELP replication_cursor_node_refused_connections_total "
              "Connections closed at once because too few file descriptors "
              "were left.\n"
              "# TYPE replication_cursor_node_refused_connections_total "
              "counter\n"
              "replication_cursor_node_refused_connections_total "
            + std::to_string(refused_connections()) + "\n";
    auto err = app::write_file_atomically(opts_.metrics_file, text);
    if (!err.empty()) {
      // Once per failure streak: the file is rewritten every few seconds.
      if (!metrics_failing_)
        log_->warn("metrics: {}", err);
      metrics_failing_ = true;
    } else if (metrics_failing_) {
      log_->info("metrics: writing '{}' works again", opts_.metrics_file);
      metrics_failing_ = false;
    }
  }

  int shut_down() {
    app::notify_stopping(*log_, "shutting down");
    auto deadline = steady::now() + opts_.shutdown_timeout;
    // The final flush may use most of the time; the rest is kept for
    // stopping the store and, if that fails, naming what is lost, so that
    // the node still exits by the deadline.
    reserve_ = std::min(caf::timespan{opts_.shutdown_timeout / 4},
                        caf::timespan{std::chrono::seconds(1)});
    if (front_) {
      // Stop accepting first: no new client reaches the store from here on.
      if (auto closed = sys_.middleman().close(port_); !closed)
        log_->warn("closing port {}: {}", port_, app::describe(closed.error()));
      else
        log_->info("stopped accepting connections on {}",
                   endpoint(opts_.bind_address, port_));
      self_->send_exit(front_, caf::exit_reason::kill);
      front_ = nullptr;
    }
    if (store_) {
      // close = final flush + TRUNCATE checkpoint + close. If the flush
      // fails the store stays open and says so; the exit message below then
      // tries once more and logs every change that was not persisted.
      self_->request(store_, until(deadline - reserve_), close_atom_v)
          .receive(
              [&](uint64_t rows) {
                log_->info(
                    "final flush wrote {} rows; database checkpointed and "
                    "closed",
                    rows);
              },
              [&](caf::error& err) {
                if (err == caf::sec::request_timeout)
                  log_->error(
                      "final flush did not finish within the shutdown "
                      "deadline ({} ms)",
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          opts_.shutdown_timeout)
                          .count());
                else
                  log_->error("final flush failed: {}", app::describe(err));
                exit_code_ = exit_unclean;
              });
      if (!opts_.metrics_file.empty())
        write_metrics();
      if (!stop_store(sys_, store_, until(deadline - reserve_ / 2))) {
        log_->error("the store did not stop within the shutdown deadline; "
                    "killing it");
        log_unpersisted();
        caf::anon_send_exit(store_, caf::exit_reason::kill);
        exit_code_ = exit_deadline;
      }
      store_ = nullptr;
    }
    return exit_code_;
  }

  // Before killing a store that could not finish its final flush: name what
  // is lost. The store still answers reads while it retries.
  void log_unpersisted() {
    auto timeout = reserve_ / 4;
    uint64_t listed = 0;
    self_->request(store_, timeout, list_atom_v)
        .receive(
            [&](const std::vector<cursor_entry>& xs) {
              for (auto& x : xs)
                if (!x.durable) {
                  ++listed;
                  log_->error("not persisted: '{}' = {}", x.peer, x.stream_id);
                }
            },
            [&](caf::error& err) {
              log_->error("cannot list the changes that were not persisted: {}",
                          app::describe(err));
            });
    self_->request(store_, timeout, dirty_atom_v)
        .receive(
            [&](uint64_t dirty) {
              log_->error("{} changes were NOT persisted", dirty);
              if (dirty > listed)
                log_->error("not persisted: {} deletes", dirty - listed);
            },
            [](caf::error&) {});
  }

  // After a refusal to start: nobody has connected, nothing is dirty, and
  // the refusal is to stay the one line on stderr, so only problems of the
  // store's stop are logged.
  void stop_store_now() {
    auto cursor_log = spdlog::get("cursor");
    if (cursor_log && cursor_log->level() < spdlog::level::warn)
      cursor_log->set_level(spdlog::level::warn);
    if (store_ && !stop_store(sys_, store_, opts_.shutdown_timeout))
      caf::anon_send_exit(store_, caf::exit_reason::kill);
    store_ = nullptr;
  }

  caf::actor_system& sys_;
  const node_options& opts_;
  std::shared_ptr<spdlog::logger> log_;
  app::signal_hub& signals_;
  caf::scoped_actor self_;
  cursor_actor store_;
  cursor_actor front_;
  uint16_t port_ = 0;
  bool new_database_ = false;
  caf::timespan reserve_{0};
  uint64_t front_restarts_ = 0;
  bool metrics_failing_ = false;
  int exit_code_ = exit_ok;
};

} // namespace

int run_service(caf::actor_system& sys, const node_options& opts,
                const std::shared_ptr<spdlog::logger>& log,
                app::signal_hub& signals) {
  node_service service{sys, opts, log, signals};
  return service.run();
}

} // namespace cursor::node
