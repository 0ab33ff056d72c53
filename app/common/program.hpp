#pragma once

// What a program provides to the process host (host.hpp). The host is the
// frame every program shares: configuration with its checks, files and
// locks, logging, signals, the watchdog, the embedded store, the serving
// loop with the metrics, systemd notifications, the shutdown and the exit
// codes. A program (cursor_node, cursor_tailer) is a configuration of the
// host plus the actors it spawns: it declares and reads its own options,
// starts its actors, handles what they report, contributes its metrics and
// readiness, and stops them.

#include <chrono>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/message_handler.hpp>
#include <caf/timespan.hpp>

#include "common/host_context.hpp"
#include "common/host_options.hpp"
#include "common/program_help.hpp"
#include "common/tls.hpp"

namespace cursor::app {

/// What the host needs to know about a program before it reads anything.
struct program_traits {
  /// Its `--help`: name, default INI file, summary, option groups shown,
  /// example option, exit codes.
  program_info info;
  /// Its option group and logger name: "node", "tailer".
  std::string group;
  /// Prefix of the gauges the HTTP endpoint adds to /metrics
  /// (`<prefix>_metrics_age_seconds`, `<prefix>_ready`): the program's own
  /// metric family, "replication_cursor_node", "replication_tailer".
  std::string metrics_prefix;
  /// The default of `<group>.request-timeout` and its help line.
  caf::timespan request_timeout = std::chrono::seconds(10);
  std::string request_timeout_help;
  /// Which end of a mutual-TLS connection its certificate is for.
  tls_role tls = tls_role::server;
  /// What a second signal during the shutdown costs, for its log line
  /// ("changes not flushed yet are lost").
  std::string unflushed;
  /// Appended to the warning that the database did not exist, when that
  /// has a consequence worth saying (the tailer's peers start over).
  std::string new_database_note;
};

/// What a program decided about the host's parts, from its options.
struct program_choices {
  /// True: the process hosts the store (`cursor.*`, the lock file, the
  /// database's directory). False: the program uses a store elsewhere.
  bool embedded_store = true;
  /// Without an embedded store: what names the other one, for the refusal
  /// of `cursor.*` options ("tailer.node names a remote one").
  std::string remote_store;
  /// Empty when `tls.*` may be set; otherwise the refusal's reason.
  std::string tls_refusal;
  /// How long the program may take to notice a stop (the tailer's readers
  /// wait in XREAD BLOCK), and the key that sets it. The host refuses a
  /// shutdown-timeout shorter than twice this: every stop would overrun its
  /// deadline and end as a failed shutdown (exit 4).
  caf::timespan stop_notice{0};
  std::string stop_notice_key;
};

/// How a program's start went.
struct start_result {
  /// Empty when it started; otherwise the refusal, one line (exit 2).
  std::string refusal;
  /// Logged at info level as the last line of a successful start.
  std::string log_line;
  /// The systemd status sent with READY=1.
  std::string status;
};

class program {
public:
  using clock = std::chrono::steady_clock;

  virtual ~program() = default;

  virtual const program_traits& traits() const = 0;

  // -- configuration (host_config) --------------------------------------------

  /// Declares the program's own options in its group, before the host adds
  /// its own there (log-level, shutdown-timeout, request-timeout,
  /// metrics-file, metrics-interval, http-address, http-timeout,
  /// http-max-connections, lock-file).
  virtual void declare_options(caf::config_option_adder& group) = 0;

  /// Adds what else the program needs in its CAF config: its error
  /// category, message types, a scheduler policy. The middleman is loaded
  /// and the store's types are registered already.
  virtual void configure(caf::actor_system_config& cfg);

  /// Checks the INI file's content (read without type checks) before the
  /// host compares every key with the declared options, for a refusal in
  /// the program's own terms. Returns an empty string or one line.
  virtual std::string check_file(const caf::settings& file);

  /// Reads and validates the program's own options from `cfg` (the host's
  /// are read already) and says what it needs of the host in `choices`.
  /// Returns an empty string or one line ("invalid configuration: ...").
  virtual std::string read_options(const caf::actor_system_config& cfg,
                                   program_choices& choices)
      = 0;

  // -- before the actor system exists -----------------------------------------

  /// Logs the program's start-up notes and installs what must exist before
  /// the actor system starts (the node's accept guard). The log is set up.
  virtual void prepare(const std::shared_ptr<spdlog::logger>& log,
                       const host_options& opts);

  // -- the run, on the host's thread ------------------------------------------

  /// Spawns the program's actors (the embedded store is open: ctx.store()).
  /// A refusal leaves nothing of the program running.
  virtual start_result start(host_context& ctx) = 0;

  /// The program's messages to the host's actor (ctx.self()) while it
  /// serves, e.g. a peer that stopped for good. Called once, after start().
  virtual caf::message_handler handlers(host_context& ctx);

  /// A down message not about the embedded store: returns whether it was
  /// about one of the program's actors (handled).
  virtual bool on_down(host_context& ctx, const caf::down_msg& msg);

  /// The program's metrics, Prometheus text format; the host appends the
  /// embedded store's. Every wait at most `timeout`.
  virtual std::string metrics(host_context& ctx, caf::timespan timeout);

  /// Empty when the program is ready (for readiness probes), otherwise why
  /// not. The host adds the embedded store's state.
  virtual std::string not_ready(host_context& ctx);

  /// The first step of the shutdown: stop taking work (the node closes its
  /// port; the tailer stops its peers and flushes the remote store), all
  /// within `deadline`. The embedded store is closed afterwards.
  virtual void stop(host_context& ctx, clock::time_point deadline) = 0;

  /// After the final flush and the last metrics: terminate every actor the
  /// program spawned.
  virtual void release(host_context& ctx) = 0;

  /// The exit code of the run, given the host's (the tailer answers 5 when
  /// a peer stopped for good and nothing else failed).
  virtual int exit_code(host_context& ctx, int code);
};

} // namespace cursor::app
