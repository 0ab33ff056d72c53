#include "tailer/service.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/logger.h>
#include <spdlog/spdlog.h>

#include "common/metrics_file.hpp"
#include "common/service_notify.hpp"
#include "cursor_actor/spawn.hpp"
#include "cursor_actor/stats.hpp"
#include "tailer/error.hpp"
#include "tailer/exit_codes.hpp"
#include "tailer/metrics.hpp"
#include "tailer/peer_pipeline.hpp"
#include "tailer/recorder.hpp"
#include "tailer/store_link.hpp"

namespace cursor::tailer {

namespace {

using steady = std::chrono::steady_clock;

void refuse(const std::string& text) {
  std::cerr << "cursor_tailer: error: " << text << std::endl;
}

std::string source_name(const peer_options& peer) {
  return peer.source.to_string() + " stream '" + peer.stream + "'";
}

std::string target_name(const endpoint& target, const peer_options& peer) {
  return target.to_string() + " stream '" + peer.target_stream + "'";
}

class tailer_service {
public:
  tailer_service(caf::actor_system& sys, const tailer_options& opts,
                 std::shared_ptr<spdlog::logger> log, app::signal_hub& signals)
      : sys_(sys), opts_(opts), log_(std::move(log)), signals_(signals),
        self_(sys) {
    // nop
  }

  int run() {
    if (!open_store())
      return exit_startup;
    start_pipelines();
    signals_.set_target(caf::actor_cast<caf::actor>(self_));
    if (auto signo = signals_.take_pending())
      log_->info("received {}: stopping", app::signal_name(signo));
    else
      serve();
    signals_.clear_target();
    return shut_down();
  }

private:
  caf::timespan until(steady::time_point deadline) const {
    auto left = deadline - steady::now();
    return std::max(caf::timespan{std::chrono::milliseconds(1)},
                    std::chrono::duration_cast<caf::timespan>(left));
  }

  bool open_store() {
    if (opts_.node) {
      link_options lo;
      lo.node = *opts_.node;
      lo.connect_timeout = opts_.request_timeout;
      lo.request_timeout = opts_.request_timeout;
      lo.retry_base_delay = opts_.retry_base_delay;
      lo.retry_max_delay = opts_.retry_max_delay;
      link_ = spawn_store_link(sys_, lo, log_);
      store_ = link_;
      store_text_ = "remote node " + opts_.node->to_string();
      return true;
    }
    // The factory logs the error it returns; the refusal is to stay one
    // line, so the library's line is muted while opening.
    auto cursor_log = spdlog::get("cursor");
    auto level = cursor_log ? cursor_log->level() : spdlog::level::info;
    if (cursor_log)
      cursor_log->set_level(spdlog::level::off);
    std::error_code ec;
    bool existed = std::filesystem::exists(opts_.store.storage.db_path, ec);
    auto store = spawn_cursor_store(sys_, opts_.store);
    if (cursor_log)
      cursor_log->set_level(level);
    if (!store) {
      refuse("cannot open the database '" + opts_.store.storage.db_path
             + "': " + describe(store.error()));
      return false;
    }
    embedded_ = std::move(*store);
    store_ = embedded_;
    self_->monitor(embedded_);
    uint64_t restored = 0;
    self_->request(embedded_, opts_.request_timeout, stats_atom_v)
        .receive([&](const cursor_stats& x) { restored = x.entries; },
                 [&](caf::error&) {});
    if (!existed)
      log_->warn("the database '{}' did not exist: created it, empty (every "
                 "peer starts from the beginning of its stream)",
                 opts_.store.storage.db_path);
    store_text_ = "embedded, database '" + opts_.store.storage.db_path + "', "
                  + std::to_string(restored) + " cursors restored";
    return true;
  }

  void start_pipelines() {
    recorder_ = spawn_recorder(sys_, store_, opts_.request_timeout);
    auto supervisor = caf::actor_cast<caf::actor>(self_);
    for (const auto& peer : opts_.peers) {
      source_options so;
      so.where = peer.source;
      so.stream = peer.stream;
      so.count = opts_.batch_size;
      so.block = opts_.block;
      so.connect_timeout = opts_.connect_timeout;
      so.io_timeout = opts_.io_timeout;
      target_options to;
      to.where = opts_.target;
      to.stream = peer.target_stream;
      to.connect_timeout = opts_.connect_timeout;
      to.io_timeout = opts_.io_timeout;
      pipeline_options po;
      po.peer = peer.id;
      po.source_name = source_name(peer);
      po.target_name = target_name(opts_.target, peer);
      // A read may wait `block` plus a connect and two replies; an apply
      // reads one reply per entry, each within the I/O timeout, but a
      // healthy batch takes milliseconds: the bound only catches a writer
      // stuck for good.
      po.read_timeout = opts_.block + opts_.connect_timeout
                        + 2 * opts_.io_timeout + std::chrono::seconds(1);
      po.apply_timeout = opts_.connect_timeout + 4 * opts_.io_timeout
                         + std::chrono::seconds(1);
      // A record may wait for the recorder's batch in flight and then its
      // own, each bounded by the request timeout.
      po.store_timeout = 2 * opts_.request_timeout + std::chrono::seconds(1);
      po.retry_base_delay = opts_.retry_base_delay;
      po.retry_max_delay = opts_.retry_max_delay;
      po.allow_gaps = opts_.allow_gaps;
      po.batch_size = opts_.batch_size;
      auto reader = spawn_source_reader(sys_, so, true);
      auto writer = spawn_target_writer(sys_, to, true);
      auto p = spawn_peer_pipeline(sys_, po, reader, writer, store_, recorder_,
                                   supervisor, log_);
      self_->monitor(p);
      pipelines_.push_back(p);
    }
    log_->info("started: {} peer{} into {}, cursor store: {}{}",
               opts_.peers.size(), opts_.peers.size() == 1 ? "" : "s",
               opts_.target.to_string(), store_text_,
               opts_.allow_gaps ? ", gaps allowed" : "");
    app::notify_ready(*log_, "replicating " + std::to_string(opts_.peers.size())
                                 + " peer"
                                 + (opts_.peers.size() == 1 ? "" : "s")
                                 + " into " + opts_.target.to_string());
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
            log_->info("received {}: stopping", app::signal_name(signo));
            running = false;
          },
          [&](failed_atom, const std::string& peer, const caf::error&) {
            // The pipeline logged why.
            failed_peers_.push_back(peer);
            if (failed_peers_.size() == pipelines_.size()) {
              log_->error("every peer stopped: ending the run");
              running = false;
            }
          },
          [&](caf::down_msg& msg) {
            if (embedded_ && msg.source == embedded_.address()) {
              log_->error("the cursor store terminated unexpectedly ({}); "
                          "stopping",
                          describe(msg.reason));
              embedded_ = nullptr;
              exit_code_ = exit_unclean;
              running = false;
              return;
            }
            for (auto& p : pipelines_)
              if (p && msg.source == p.address()) {
                log_->error("a pipeline terminated unexpectedly ({}); "
                            "stopping",
                            describe(msg.reason));
                p = nullptr;
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

  std::vector<peer_stats> collect_stats(caf::timespan timeout) {
    std::vector<peer_stats> result;
    for (auto& p : pipelines_) {
      if (!p)
        continue;
      self_->request(p, timeout, stats_atom_v)
          .receive([&](peer_stats& x) { result.push_back(std::move(x)); },
                   [&](caf::error& err) {
                     log_->warn("metrics: a pipeline did not answer: {}",
                                describe(err));
                   });
    }
    return result;
  }

  // While running a slow answer is skipped (the next interval comes soon);
  // the last write at the shutdown waits up to the deadline, so that it
  // holds every peer (a stopped peer's reason included).
  void write_metrics(std::optional<caf::timespan> wait = std::nullopt) {
    auto timeout = wait ? *wait
                        : std::min(opts_.request_timeout, opts_.metrics_interval);
    auto text = render_metrics(collect_stats(timeout));
    if (embedded_)
      self_->request(embedded_, timeout, stats_atom_v)
          .receive([&](const cursor_stats& x) { text += to_prometheus(x); },
                   [&](caf::error& err) {
                     log_->warn("metrics: the store did not answer: {}",
                                describe(err));
                   });
    auto err = app::write_file_atomically(opts_.metrics_file, text);
    if (!err.empty()) {
      if (!metrics_failing_)
        log_->warn("metrics: {}", err);
      metrics_failing_ = true;
    } else if (metrics_failing_) {
      log_->info("metrics: writing '{}' works again", opts_.metrics_file);
      metrics_failing_ = false;
    }
  }

  void stop_pipelines(steady::time_point deadline) {
    // One after the other: a stop takes the time of the batch in flight
    // and one record, milliseconds.
    for (size_t i = 0; i < pipelines_.size(); ++i) {
      auto& p = pipelines_[i];
      if (!p)
        continue;
      auto peer = opts_.peers[i].id;
      self_->request(p, until(deadline), stop_atom_v)
          .receive(
              [&](const std::string& id) {
                log_->info("peer '{}': stopped at {}", peer, id);
              },
              [&](caf::error& err) {
                if (stops_peer(err)) {
                  // Stopped for good (the pipeline logged why), maybe so
                  // late that its message is still in the mailbox; its
                  // position is recorded.
                  log_->info("peer '{}': stopped for good ({})", peer,
                             to_string(static_cast<errc>(err.code())));
                  if (std::find(failed_peers_.begin(), failed_peers_.end(),
                                peer)
                      == failed_peers_.end())
                    failed_peers_.push_back(peer);
                  return;
                }
                if (is(err, errc::target_unchecked))
                  log_->error("peer '{}': {} (its position is recorded)", peer,
                              describe(err));
                else
                  log_->error("peer '{}': the last applied position was not "
                              "recorded: {}",
                              peer, describe(err));
                exit_code_ = exit_unclean;
              });
    }
  }

  void final_flush(steady::time_point deadline) {
    if (embedded_) {
      self_->request(embedded_, until(deadline), close_atom_v)
          .receive(
              [&](uint64_t rows) {
                log_->info(
                    "final flush wrote {} rows; database checkpointed and "
                    "closed",
                    rows);
              },
              [&](caf::error& err) {
                log_->error("final flush failed: {}", describe(err));
                exit_code_ = exit_unclean;
              });
    } else if (link_) {
      self_->request(link_, until(deadline), flush_atom_v)
          .receive(
              [&](uint64_t rows) {
                log_->info("final flush on the cursor node wrote {} rows",
                           rows);
              },
              [&](caf::error& err) {
                log_->error("final flush on the cursor node failed: {}",
                            describe(err));
                exit_code_ = exit_unclean;
              });
    }
  }

  int shut_down() {
    app::notify_stopping(*log_, "shutting down");
    auto deadline = steady::now() + opts_.shutdown_timeout;
    auto reserve = std::min(caf::timespan{opts_.shutdown_timeout / 4},
                            caf::timespan{std::chrono::seconds(1)});
    stop_pipelines(deadline - reserve);
    final_flush(deadline - reserve);
    if (!opts_.metrics_file.empty())
      write_metrics(until(deadline - reserve));
    for (auto& p : pipelines_)
      if (p)
        self_->send_exit(p, caf::exit_reason::user_shutdown);
    pipelines_.clear();
    if (recorder_)
      self_->send_exit(recorder_, caf::exit_reason::user_shutdown);
    if (link_)
      self_->send_exit(link_, caf::exit_reason::user_shutdown);
    if (embedded_) {
      if (!stop_store(sys_, embedded_, until(deadline))) {
        log_->error("the store did not stop within the shutdown deadline; "
                    "killing it");
        caf::anon_send_exit(embedded_, caf::exit_reason::kill);
        exit_code_ = exit_deadline;
      }
      embedded_ = nullptr;
    }
    if (exit_code_ == exit_ok && !failed_peers_.empty()) {
      std::string names;
      for (auto& x : failed_peers_)
        names += (names.empty() ? "'" : ", '") + x + "'";
      log_->error("{} of {} peers stopped for good: {}", failed_peers_.size(),
                  opts_.peers.size(), names);
      exit_code_ = exit_peer_failed;
    }
    return exit_code_;
  }

  caf::actor_system& sys_;
  const tailer_options& opts_;
  std::shared_ptr<spdlog::logger> log_;
  app::signal_hub& signals_;
  caf::scoped_actor self_;
  cursor_actor embedded_;
  store_link_actor link_;
  store_api store_;
  std::string store_text_;
  recorder_actor recorder_;
  std::vector<peer_pipeline_actor> pipelines_;
  std::vector<std::string> failed_peers_;
  bool metrics_failing_ = false;
  int exit_code_ = exit_ok;
};

} // namespace

int run_tailer(caf::actor_system& sys, const tailer_options& opts,
               const std::shared_ptr<spdlog::logger>& log,
               app::signal_hub& signals) {
  tailer_service service{sys, opts, log, signals};
  return service.run();
}

} // namespace cursor::tailer
