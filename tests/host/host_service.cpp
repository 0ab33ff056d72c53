#define CAF_SUITE host_service

#include "common/host_service.hpp"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/test/unit_test.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include "common/exit_codes.hpp"
#include "common/host_config.hpp"
#include "common/signal_hub.hpp"
#include "common/status_board.hpp"
#include "temp_dir.hpp"
#include "test_program.hpp"

using namespace cursor::app;
using test_host::args;
using test_host::end_atom;
using test_host::temp_dir;
using test_host::test_program;

namespace {

using calls = std::vector<std::string>;

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// One run of the test program by the host, in a real actor system with an
// embedded store in a temporary directory; the log goes to `log_text`.
struct fixture {
  temp_dir dir;
  test_program prog;
  signal_hub hub;
  status_board board;
  std::ostringstream log_text;
  std::shared_ptr<spdlog::logger> log;
  std::string db = dir.path("c.db");
  std::string prom = dir.path("m.prom");

  fixture() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text);
    sink->set_pattern("%l %v");
    log = std::make_shared<spdlog::logger>("test", sink);
    log->set_level(spdlog::level::debug);
  }

  // Runs the program with `extra` options besides the database and the
  // metrics file; `new_database` as the host's lock found it.
  int run(std::vector<std::string> extra = {}, bool new_database = false) {
    std::vector<std::string> xs{"--cursor.db-path=" + db,
                                "--test.metrics-file=" + prom,
                                "--test.metrics-interval=100ms"};
    xs.insert(xs.end(), extra.begin(), extra.end());
    host_config cfg{prog};
    args a{xs};
    auto outcome = cfg.read(a.argc(), a.argv());
    if (!outcome.options) {
      CAF_FAIL("configuration refused: " << outcome.error);
    }
    caf::actor_system sys{cfg};
    host_service service{sys, prog, *outcome.options, log, hub, board};
    return service.run(new_database);
  }

  // What the board showed after the first refresh while serving.
  status_board::snapshot seen;

  // Runs the program until the first refresh while serving has published,
  // then ends the run (from the program's handler, which notes the board in
  // `seen`).
  int run_one_refresh() {
    prog.on_metrics = [](host_context& ctx, int n) {
      if (n == 1)
        caf::anon_send(ctx.supervisor(), end_atom::value);
    };
    prog.on_end = [this](host_context&) { seen = board.read(); };
    return run();
  }

  bool logged(const std::string& part) {
    if (log_text.str().find(part) != std::string::npos)
      return true;
    CAF_MESSAGE("'" << part << "' not in the log:\n" << log_text.str());
    return false;
  }

  // A store that was closed (not killed) leaves no WAL behind.
  bool store_closed() {
    return std::filesystem::exists(db) && !std::filesystem::exists(db + "-wal");
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(host_service_tests, fixture)

CAF_TEST(a signal before the serving starts runs the whole shutdown in order) {
  hub.post(SIGTERM); // nobody listens yet: kept for the loop
  auto code = run();
  CAF_CHECK_EQUAL(code, exit_ok);
  CAF_CHECK(prog.calls
            == (calls{"read_options", "start", "stop", "metrics", "release",
                      "exit_code"}));
  CAF_CHECK(logged("info test started, 0 cursors restored"));
  CAF_CHECK(logged("info received SIGTERM: shutting down"));
  CAF_CHECK(logged("info final flush wrote 0 rows; database checkpointed and "
                   "closed"));
  // The last refresh went to the file and the board: the program's metrics
  // and the store's.
  auto text = read_file(prom);
  CAF_CHECK(text.find("test_metric 1\n") != std::string::npos);
  CAF_CHECK(text.find("replication_cursor_entries 0\n") != std::string::npos);
  auto x = board.read();
  CAF_CHECK(x.phase == host_phase::stopping);
  CAF_CHECK_EQUAL(x.metrics, text);
  CAF_CHECK(store_closed());
  CAF_CHECK(!logged("did not exist"));
}

CAF_TEST(a new database is named once the start succeeded) {
  hub.post(SIGINT);
  CAF_CHECK_EQUAL(run({}, true), exit_ok);
  auto text = log_text.str();
  auto warning = text.find("warning the database '" + db
                           + "' did not exist: created it, empty (the test "
                             "starts over)");
  auto started = text.find("test started");
  CAF_CHECK(warning != std::string::npos);
  CAF_CHECK(warning < started);
}

CAF_TEST(a refused start is one line on stderr and stops the store) {
  prog.refusal = "cannot do it";
  std::ostringstream err;
  auto* old = std::cerr.rdbuf(err.rdbuf());
  auto code = run({}, true);
  std::cerr.rdbuf(old);
  CAF_CHECK_EQUAL(code, exit_startup);
  CAF_CHECK_EQUAL(err.str(), "test_prog: error: cannot do it\n");
  // Nothing of the program runs after a refusal: no stop, no release.
  CAF_CHECK(prog.calls == (calls{"read_options", "start"}));
  // Neither the start line nor the new database: the refusal stays alone.
  CAF_CHECK(!logged("test started"));
  CAF_CHECK(!logged("did not exist"));
  CAF_CHECK(store_closed());
}

CAF_TEST(the program ends the run through its handler and maps the code) {
  prog.clean_exit_code = exit_program_first;
  prog.on_start = [](host_context& ctx) {
    caf::anon_send(ctx.supervisor(), end_atom::value);
  };
  CAF_CHECK_EQUAL(run(), exit_program_first);
  auto& c = prog.calls;
  CAF_REQUIRE(c.size() >= 4u);
  CAF_CHECK_EQUAL(c[1], "start");
  // The handler ran while serving, then the shutdown.
  auto end = std::find(c.begin(), c.end(), "end");
  auto stop = std::find(c.begin(), c.end(), "stop");
  CAF_CHECK(end != c.end());
  CAF_CHECK(end < stop);
  CAF_CHECK_EQUAL(c.back(), "exit_code");
  CAF_CHECK(!logged("received"));
}

CAF_TEST(an unclean run keeps its code whatever the program would map) {
  // The store dies while the program serves: exit 3, not the program's 5.
  prog.clean_exit_code = exit_program_first;
  prog.on_start = [](host_context& ctx) {
    caf::anon_send_exit(ctx.store(), caf::exit_reason::kill);
  };
  CAF_CHECK_EQUAL(run(), exit_unclean);
  CAF_CHECK(logged("error the cursor store terminated unexpectedly"));
  // No final flush without a store; the program still stops and releases.
  CAF_CHECK(!logged("final flush"));
  CAF_CHECK(prog.calls.back() == "exit_code");
  CAF_CHECK(std::find(prog.calls.begin(), prog.calls.end(), "release")
            != prog.calls.end());
  // The last refresh says why the process is not ready, and still writes
  // what the program knows.
  CAF_CHECK_EQUAL(board.read().not_ready, "the cursor store terminated");
  auto text = read_file(prom);
  CAF_CHECK(text.find("test_metric ") != std::string::npos);
  CAF_CHECK(text.find("replication_cursor_") == std::string::npos);
}

CAF_TEST(a refresh publishes both metrics and the readiness of the program) {
  prog.not_ready_text = "peer 'x' stopped for good";
  CAF_CHECK_EQUAL(run_one_refresh(), exit_ok);
  CAF_CHECK(seen.phase == host_phase::serving);
  CAF_CHECK_EQUAL(seen.refreshes, 1u);
  CAF_CHECK(!seen.ready());
  CAF_CHECK_EQUAL(seen.not_ready, "peer 'x' stopped for good");
  CAF_CHECK(seen.metrics.find("test_metric 1\n") != std::string::npos);
  CAF_CHECK(seen.metrics.find("replication_cursor_degraded 0\n")
            != std::string::npos);
  // The shutdown refreshed once more.
  CAF_CHECK_EQUAL(prog.metrics_calls, 2);
  CAF_CHECK(read_file(prom).find("test_metric 2\n") != std::string::npos);
}

CAF_TEST(a ready program on a healthy store is ready while it serves) {
  CAF_CHECK_EQUAL(run_one_refresh(), exit_ok);
  CAF_CHECK(seen.ready());
  CAF_CHECK(seen.live());
  CAF_CHECK(!board.read().live());
}

CAF_TEST(without a metrics file nothing is refreshed while serving) {
  prog.on_start = [](host_context& ctx) {
    caf::anon_send(ctx.supervisor(), end_atom::value);
  };
  std::vector<std::string> xs{"--cursor.db-path=" + db};
  host_config cfg{prog};
  args a{xs};
  auto outcome = cfg.read(a.argc(), a.argv());
  CAF_REQUIRE(outcome.options.has_value());
  {
    caf::actor_system sys{cfg};
    host_service service{sys, prog, *outcome.options, log, hub, board};
    CAF_CHECK_EQUAL(service.run(false), exit_ok);
  }
  CAF_CHECK_EQUAL(prog.metrics_calls, 0);
  CAF_CHECK(!std::filesystem::exists(prom));
}

CAF_TEST_FIXTURE_SCOPE_END()
