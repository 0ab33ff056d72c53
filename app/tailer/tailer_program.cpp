#include "tailer/tailer_program.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/logger.h>

#include "tailer/error.hpp"
#include "tailer/exit_codes.hpp"
#include "tailer/metrics.hpp"
#include "tailer/readiness.hpp"

namespace cursor::tailer {

namespace {

std::string source_name(const peer_options& peer) {
  return peer.source.to_string() + " stream '" + peer.stream + "'";
}

std::string target_name(const endpoint& target, const peer_options& peer) {
  return target.to_string() + " stream '" + peer.target_stream + "'";
}

std::string peers_text(size_t n) {
  return std::to_string(n) + (n == 1 ? " peer" : " peers");
}

} // namespace

tailer_program::tailer_program() {
  traits_.info = {
      "cursor_tailer",
      "cursor_tailer.ini",
      "Replicates the Redis streams of its peers into a target Redis and\n"
      "resumes each peer from its cursor (docs/TAILER.md).\n",
      {"tailer", "cursor", "tls"},
      "--tailer.target=127.0.0.1:6379",
      "0 stopped cleanly, 1 configuration refused, 2 database unusable,\n"
      "3 stopped uncleanly (a position or the final flush failed), 4 shutdown\n"
      "deadline passed, 5 a peer stopped for good (docs/TAILER.md)"};
  traits_.group = "tailer";
  traits_.metrics_prefix = "replication_tailer";
  traits_.request_timeout = std::chrono::seconds(10);
  traits_.request_timeout_help = "waiting for the cursor store (10s)";
  traits_.tls = app::tls_role::client;
  traits_.unflushed = "positions not flushed yet are re-read after the restart";
  traits_.new_database_note
      = "every peer starts from the beginning of its stream";
}

void tailer_program::declare_options(caf::config_option_adder& group) {
  declare_tailer_options(group);
}

void tailer_program::configure(caf::actor_system_config& cfg) {
  register_error_category(cfg);
  // CAF's default work-stealing workers poll for work, sleeping 50 us at a
  // time: in a tailer, whose actors mostly wait for Redis, that cost three
  // times the CPU of the whole copy (docs/PERFORMANCE.md, "Tailer"). The
  // sharing policy blocks on a condition variable instead. An explicit
  // scheduler.policy in the INI file or on the command line still wins.
  cfg.set("scheduler.policy", caf::atom("sharing"));
}

std::string tailer_program::check_file(const caf::settings& file) {
  return check_tailer_file(file);
}

std::string tailer_program::read_options(const caf::actor_system_config& cfg,
                                         app::program_choices& choices) {
  if (auto err = read_tailer_options(cfg, opts_); !err.empty())
    return err;
  choices.embedded_store = !opts_.node;
  choices.stop_notice = opts_.block;
  choices.stop_notice_key = "tailer.block";
  choices.remote_store = "tailer.node names a remote one";
  if (!opts_.node)
    choices.tls_refusal = "TLS is for a remote node; set tailer.node or "
                          "remove the tls.* options";
  return {};
}

app::start_result tailer_program::start(app::host_context& ctx) {
  const auto& host = ctx.options();
  std::string store_text;
  if (opts_.node) {
    link_options lo;
    lo.node = *opts_.node;
    lo.connect_timeout = host.request_timeout;
    lo.request_timeout = host.request_timeout;
    lo.retry_base_delay = opts_.retry_base_delay;
    lo.retry_max_delay = opts_.retry_max_delay;
    link_ = spawn_store_link(ctx.system(), lo, ctx.logger());
    store_ = link_;
    store_text = "remote node " + opts_.node->to_string();
  } else {
    store_ = ctx.store();
    store_text = "embedded, database '" + host.store->storage.db_path + "', "
                 + std::to_string(ctx.restored()) + " cursors restored";
  }
  recorder_ = spawn_recorder(ctx.system(), store_, host.request_timeout);
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
    // A read may wait `block` plus a connect and two replies; an apply reads
    // one reply per entry, each within the I/O timeout, but a healthy batch
    // takes milliseconds: the bound only catches a writer stuck for good.
    po.read_timeout = opts_.block + opts_.connect_timeout + 2 * opts_.io_timeout
                      + std::chrono::seconds(1);
    po.apply_timeout = opts_.connect_timeout + 4 * opts_.io_timeout
                       + std::chrono::seconds(1);
    // A record may wait for the recorder's batch in flight and then its
    // own, each bounded by the request timeout.
    po.store_timeout = 2 * host.request_timeout + std::chrono::seconds(1);
    po.retry_base_delay = opts_.retry_base_delay;
    po.retry_max_delay = opts_.retry_max_delay;
    po.allow_gaps = opts_.allow_gaps;
    po.batch_size = opts_.batch_size;
    auto reader = spawn_source_reader(ctx.system(), so, true);
    auto writer = spawn_target_writer(ctx.system(), to, true);
    auto p = spawn_peer_pipeline(ctx.system(), po, reader, writer, store_,
                                 recorder_, ctx.supervisor(), ctx.logger());
    ctx.self()->monitor(p);
    pipelines_.push_back(p);
  }
  app::start_result result;
  result.log_line = "started: " + peers_text(opts_.peers.size()) + " into "
                    + opts_.target.to_string() + ", cursor store: " + store_text
                    + (opts_.allow_gaps ? ", gaps allowed" : "");
  result.status = "replicating " + peers_text(opts_.peers.size()) + " into "
                  + opts_.target.to_string();
  return result;
}

caf::message_handler tailer_program::handlers(app::host_context& ctx) {
  return {
      [this, &ctx](failed_atom, const std::string& peer, const caf::error&) {
        // The pipeline logged why.
        if (note_failed(peer) && failed_peers_.size() == pipelines_.size()) {
          ctx.log().error("every peer stopped: ending the run");
          ctx.end_run();
        }
      }};
}

bool tailer_program::note_failed(const std::string& peer) {
  if (std::find(failed_peers_.begin(), failed_peers_.end(), peer)
      != failed_peers_.end())
    return false;
  failed_peers_.push_back(peer);
  // Its cursor is the operator's now (docs/TAILER.md, "Stopped peers"): the
  // link must not set it again after a reconnection.
  if (link_)
    caf::anon_send(link_, app::forget_atom_v, peer);
  return true;
}

bool tailer_program::on_down(app::host_context& ctx, const caf::down_msg& msg) {
  for (auto& p : pipelines_)
    if (p && msg.source == p.address()) {
      ctx.log().error("a pipeline terminated unexpectedly ({}); shutting down",
                      describe(msg.reason));
      p = nullptr;
      ctx.end_run(app::exit_unclean);
      return true;
    }
  return false;
}

std::vector<peer_stats> tailer_program::collect_stats(app::host_context& ctx,
                                                      caf::timespan timeout) {
  // Every request is sent before the first answer is awaited: their
  // timeouts run at once, so a refresh waits at most `timeout` however many
  // pipelines are stuck (the HTTP endpoint calls an older refresh a stuck
  // host loop).
  using handle = decltype(ctx.self()->request(peer_pipeline_actor{}, timeout,
                                              stats_atom_v));
  std::vector<handle> pending;
  for (auto& p : pipelines_)
    if (p)
      pending.push_back(ctx.self()->request(p, timeout, stats_atom_v));
  std::vector<peer_stats> result;
  for (auto& h : pending)
    h.receive([&](peer_stats& x) { result.push_back(std::move(x)); },
              [&](caf::error& err) {
                ctx.log().warn("metrics: a pipeline did not answer: {}",
                               describe(err));
              });
  return result;
}

std::string tailer_program::metrics(app::host_context& ctx,
                                    caf::timespan timeout) {
  last_stats_ = collect_stats(ctx, timeout);
  return render_metrics(last_stats_);
}

std::string tailer_program::not_ready(app::host_context&) {
  std::vector<std::string> ids;
  for (const auto& peer : opts_.peers)
    ids.push_back(peer.id);
  // A peer that reported its failure is failed, whatever its last stats.
  auto stats = last_stats_;
  for (auto& x : stats)
    if (std::find(failed_peers_.begin(), failed_peers_.end(), x.peer)
        != failed_peers_.end())
      x.failed = true;
  return peers_not_ready(ids, stats);
}

void tailer_program::stop(app::host_context& ctx, clock::time_point deadline) {
  // One after the other: a stop takes the time of the batch in flight and
  // one record, milliseconds.
  for (size_t i = 0; i < pipelines_.size(); ++i) {
    auto& p = pipelines_[i];
    if (!p)
      continue;
    auto peer = opts_.peers[i].id;
    ctx.self()
        ->request(p, app::host_context::until(deadline), stop_atom_v)
        .receive(
            [&](const std::string& id) {
              ctx.log().info("peer '{}': stopped at {}", peer, id);
            },
            [&](caf::error& err) {
              if (stops_peer(err)) {
                // Stopped for good (the pipeline logged why), maybe so late
                // that its message is still in the mailbox; its position is
                // recorded.
                ctx.log().info("peer '{}': stopped for good ({})", peer,
                               to_string(static_cast<errc>(err.code())));
                note_failed(peer);
                return;
              }
              if (is(err, errc::target_unchecked))
                ctx.log().error("peer '{}': {} (its position is recorded)",
                                peer, describe(err));
              else
                ctx.log().error("peer '{}': the last applied position was "
                                "not recorded: {}",
                                peer, describe(err));
              ctx.fail(app::exit_unclean);
            });
  }
  // The embedded store's final flush is the host's (close); a remote node
  // stays up, so flush it from here.
  if (link_)
    ctx.self()
        ->request(link_, app::host_context::until(deadline), flush_atom_v)
        .receive(
            [&](uint64_t rows) {
              ctx.log().info("final flush on the cursor node wrote {} rows",
                             rows);
            },
            [&](caf::error& err) {
              ctx.log().error("final flush on the cursor node failed: {}",
                              describe(err));
              ctx.fail(app::exit_unclean);
            });
}

void tailer_program::release(app::host_context& ctx) {
  for (auto& p : pipelines_)
    if (p)
      ctx.self()->send_exit(p, caf::exit_reason::user_shutdown);
  pipelines_.clear();
  if (recorder_)
    ctx.self()->send_exit(recorder_, caf::exit_reason::user_shutdown);
  recorder_ = nullptr;
  if (link_)
    ctx.self()->send_exit(link_, caf::exit_reason::user_shutdown);
  link_ = nullptr;
  store_ = nullptr;
}

int tailer_program::exit_code(app::host_context& ctx, int code) {
  if (code != app::exit_ok || failed_peers_.empty())
    return code;
  std::string names;
  for (auto& x : failed_peers_)
    names += (names.empty() ? "'" : ", '") + x + "'";
  ctx.log().error("{} of {} peers stopped for good: {}", failed_peers_.size(),
                  opts_.peers.size(), names);
  return exit_peer_failed;
}

} // namespace cursor::tailer
