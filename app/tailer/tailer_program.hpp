#pragma once

// cursor_tailer as a program of the process host (common/program.hpp): the
// host opens the embedded store (or none, with a remote node); the tailer
// starts one pipeline per peer, counts the peers that stopped for good, and
// stops them at the shutdown.

#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "common/program.hpp"
#include "cursor_actor/actors.hpp"
#include "tailer/peer_pipeline.hpp"
#include "tailer/recorder.hpp"
#include "tailer/store_api.hpp"
#include "tailer/store_link.hpp"
#include "tailer/tailer_config.hpp"

namespace cursor::tailer {

/// The tailer: `tailer.*` options (tailer_config.hpp) and the pipelines.
/// - configuration: `cursor.*` and the lock file only without `tailer.node`,
///   `tls.*` only with it (a TLS client of the node);
/// - start(): with `tailer.node`, spawns the link, which connects in the
///   background; then the recorder and, per peer, a detached source reader,
///   a detached target writer and the pipeline. The start line names the
///   peers, the target and the store;
/// - while serving: counts the peers that report `(failed_atom, peer,
///   error)` and ends the run when every peer stopped; a pipeline that
///   terminates ends it too (exit 3);
/// - metrics: the per-peer counters (metrics.hpp), every pipeline asked at
///   once; ready while every peer replicates (readiness.hpp);
/// - stop(): stops the pipelines (no new reads, the batch in flight
///   finished, the last applied position recorded), then with a remote
///   node flushes it; release() terminates every actor it spawned;
/// - exit code 5 (exit_codes.hpp) when a peer stopped for good and nothing
///   else failed.
class tailer_program : public app::program {
public:
  tailer_program();

  const app::program_traits& traits() const override { return traits_; }

  void declare_options(caf::config_option_adder& group) override;

  void configure(caf::actor_system_config& cfg) override;

  std::string check_file(const caf::settings& file) override;

  std::string read_options(const caf::actor_system_config& cfg,
                           app::program_choices& choices) override;

  app::start_result start(app::host_context& ctx) override;

  caf::message_handler handlers(app::host_context& ctx) override;

  bool on_down(app::host_context& ctx, const caf::down_msg& msg) override;

  std::string metrics(app::host_context& ctx, caf::timespan timeout) override;

  std::string not_ready(app::host_context& ctx) override;

  void stop(app::host_context& ctx, clock::time_point deadline) override;

  void release(app::host_context& ctx) override;

  int exit_code(app::host_context& ctx, int code) override;

private:
  std::vector<peer_stats> collect_stats(app::host_context& ctx,
                                        caf::timespan timeout);

  /// Counts `peer` as stopped for good, once (the stop's answer and the
  /// pipeline's message may both say so); false if it was counted already.
  bool note_failed(const std::string& peer);

  app::program_traits traits_;
  tailer_options opts_;
  store_link_actor link_;
  store_api store_;
  recorder_actor recorder_;
  std::vector<peer_pipeline_actor> pipelines_;
  std::vector<std::string> failed_peers_;
  // The stats of the last refresh, for not_ready() right after it.
  std::vector<peer_stats> last_stats_;
};

} // namespace cursor::tailer
