#pragma once

// A program for the host's suites: it records which hooks the host called,
// in order, and does what a test sets up (refuse the start, end the run,
// report not ready, map the exit code).

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/message_handler.hpp>
#include <caf/send.hpp>
#include <caf/settings.hpp>

#include "common/host_context.hpp"
#include "common/program.hpp"
#include "common/status_board.hpp"

namespace test_host {

/// Sent to the host's actor to make the program end the run.
using end_atom = caf::atom_constant<caf::atom("test_end")>;

class test_program : public cursor::app::program {
public:
  test_program() {
    traits_.info = {"test_prog",         "test_prog.ini",
                    "A test program.\n", {"test", "cursor", "tls"},
                    "--test.value=1",    "0 fine (nowhere)"};
    traits_.group = "test";
    traits_.request_timeout = std::chrono::seconds(7);
    traits_.request_timeout_help = "waiting for the store (7s)";
    traits_.tls = cursor::app::tls_role::client;
    traits_.unflushed = "nothing";
    traits_.new_database_note = "the test starts over";
  }

  // -- what a test sets up ----------------------------------------------------

  /// False: the program uses a store elsewhere (`test.remote`).
  bool embedded = true;
  /// Set: tls.* is refused with this reason.
  std::string tls_refusal;
  /// How long the program says it may take to notice a stop; the refusal
  /// names `test.value` as the key that sets it.
  caf::timespan stop_notice{0};
  /// Set: start() refuses with it.
  std::string refusal;
  /// Returned by not_ready().
  std::string not_ready_text;
  /// Called at the end of start(), and at each metrics() call with the
  /// number of the call (1 for the first).
  std::function<void(cursor::app::host_context&)> on_start;
  std::function<void(cursor::app::host_context&, int)> on_metrics;
  /// Called when the program's handler receives end_atom, before it ends
  /// the run.
  std::function<void(cursor::app::host_context&)> on_end;
  /// Returned by exit_code() instead of the host's code when the run ended
  /// cleanly; -1 = the host's code.
  int clean_exit_code = -1;

  // -- what the host did ------------------------------------------------------

  std::vector<std::string> calls;
  int value = 0;
  int metrics_calls = 0;

  // -- program ----------------------------------------------------------------

  const cursor::app::program_traits& traits() const override { return traits_; }

  void declare_options(caf::config_option_adder& group) override {
    group.add<int32_t>("value", "a number, not negative (0)")
        .add<std::string>("name", "a name, not \"forbidden\" (\"\")");
  }

  std::string check_file(const caf::settings& file) override {
    calls.push_back("check_file");
    if (caf::get_or(file, "test.name", std::string{}) == "forbidden")
      return "invalid configuration: test.name: forbidden";
    return {};
  }

  std::string read_options(const caf::actor_system_config& cfg,
                           cursor::app::program_choices& choices) override {
    calls.push_back("read_options");
    value = caf::get_or(cfg.content, "test.value", 0);
    if (value < 0)
      return "invalid configuration: test.value: must not be negative";
    choices.embedded_store = embedded;
    choices.remote_store = "test.remote names a remote one";
    choices.tls_refusal = tls_refusal;
    choices.stop_notice = stop_notice;
    choices.stop_notice_key = "test.value";
    return {};
  }

  cursor::app::start_result start(cursor::app::host_context& ctx) override {
    calls.push_back("start");
    cursor::app::start_result result;
    result.refusal = refusal;
    result.log_line = "test started, " + std::to_string(ctx.restored())
                      + " cursors restored";
    result.status = "testing";
    if (on_start)
      on_start(ctx);
    return result;
  }

  caf::message_handler handlers(cursor::app::host_context& ctx) override {
    return {[this, &ctx](end_atom) {
      calls.push_back("end");
      if (on_end)
        on_end(ctx);
      ctx.end_run();
    }};
  }

  std::string metrics(cursor::app::host_context& ctx, caf::timespan) override {
    calls.push_back("metrics");
    ++metrics_calls;
    if (on_metrics)
      on_metrics(ctx, metrics_calls);
    return "test_metric " + std::to_string(metrics_calls) + "\n";
  }

  std::string not_ready(cursor::app::host_context&) override {
    return not_ready_text;
  }

  void stop(cursor::app::host_context&, clock::time_point) override {
    calls.push_back("stop");
  }

  void release(cursor::app::host_context&) override {
    calls.push_back("release");
  }

  int exit_code(cursor::app::host_context&, int code) override {
    calls.push_back("exit_code");
    if (code == cursor::app::exit_ok && clean_exit_code >= 0)
      return clean_exit_code;
    return code;
  }

private:
  cursor::app::program_traits traits_;
};

/// argv for host_config::read(), owning its strings.
class args {
public:
  explicit args(std::vector<std::string> xs) : strings_(std::move(xs)) {
    strings_.insert(strings_.begin(), "test_prog");
    for (auto& x : strings_)
      ptrs_.push_back(x.data());
    ptrs_.push_back(nullptr);
  }

  int argc() const { return static_cast<int>(strings_.size()); }
  char** argv() { return ptrs_.data(); }

private:
  std::vector<std::string> strings_;
  std::vector<char*> ptrs_;
};

} // namespace test_host
