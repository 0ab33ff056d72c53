#define CAF_SUITE host_probe_reply

#include "common/probe_reply.hpp"

#include <chrono>
#include <string>

#include <caf/test/unit_test.hpp>

#include "has_text.hpp"

using namespace cursor::app;
using namespace std::chrono_literals;
using test_host::has;

namespace {

using clock = status_board::clock;

struct fixture {
  probe_rules rules;
  status_board::snapshot board;
  clock::time_point now = clock::now();

  fixture() {
    rules.stale_after = 15s;
    rules.metrics_prefix = "replication_test";
  }

  // A board as the host leaves it after `refreshes` refreshes, the last one
  // `age` ago.
  void serving(uint64_t refreshes = 1, clock::duration age = 1s,
               std::string not_ready = "") {
    board.phase = host_phase::serving;
    board.metrics = "# TYPE a counter\na 1\n";
    board.refreshes = refreshes;
    board.refreshed_at = now - age;
    board.not_ready = std::move(not_ready);
  }

  http_reply get(const std::string& path, const std::string& method = "GET") {
    return answer_probe(method, path, board, now, rules);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(probe_reply_tests, fixture)

CAF_TEST(a serving process answers all three paths) {
  serving();
  auto m = get("/metrics");
  CAF_CHECK_EQUAL(m.status, 200u);
  CAF_CHECK_EQUAL(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  // The board's text first, then the two gauges of the endpoint.
  CAF_CHECK_EQUAL(m.body.rfind("# TYPE a counter\na 1\n", 0), 0u);
  CAF_CHECK(has(m.body, "# TYPE replication_test_metrics_age_seconds gauge\n"
                        "replication_test_metrics_age_seconds 1.000\n"));
  CAF_CHECK(has(m.body, "# TYPE replication_test_ready gauge\n"
                        "replication_test_ready 1\n"));
  auto h = get("/healthz");
  CAF_CHECK_EQUAL(h.status, 200u);
  CAF_CHECK_EQUAL(h.body, "live: serving\n");
  CAF_CHECK_EQUAL(h.content_type, "text/plain; charset=utf-8");
  auto r = get("/readyz");
  CAF_CHECK_EQUAL(r.status, 200u);
  CAF_CHECK_EQUAL(r.body, "ready\n");
  CAF_CHECK_EQUAL(r.allow, "");
}

CAF_TEST(head gets what get gets) {
  serving();
  for (auto path : {"/metrics", "/healthz", "/readyz", "/nope"}) {
    auto g = get(path);
    auto h = get(path, "HEAD");
    CAF_CHECK_EQUAL(h.status, g.status);
    CAF_CHECK_EQUAL(h.body, g.body);
    CAF_CHECK_EQUAL(h.content_type, g.content_type);
  }
}

CAF_TEST(anything but the three paths is not found) {
  serving();
  for (auto path : {"/", "", "/metrics/", "//metrics", "/../metrics",
                    "/metrics/..", "/METRICS", "/healthz.txt", "/readyz/x",
                    "http://host/metrics", "/metrics%00", "*"}) {
    auto x = get(path);
    CAF_CHECK_EQUAL(x.status, 404u);
    CAF_CHECK(has(x.body, "not found"));
    // Also for a method that is not allowed anywhere.
    CAF_CHECK_EQUAL(get(path, "DELETE").status, 404u);
  }
}

CAF_TEST(a method other than get or head is not allowed) {
  serving();
  for (auto method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
                      "CONNECT", "get", "head", "BREW", ""})
    for (auto path : {"/metrics", "/healthz", "/readyz"}) {
      auto x = get(path, method);
      CAF_CHECK_EQUAL(x.status, 405u);
      CAF_CHECK_EQUAL(x.allow, "GET, HEAD");
      CAF_CHECK(has(x.body, "GET or HEAD"));
    }
}

CAF_TEST(while starting the process is live and not ready
         and has no metrics yet) {
  auto m = get("/metrics");
  CAF_CHECK_EQUAL(m.status, 503u);
  CAF_CHECK_EQUAL(m.body, "no metrics yet: starting\n");
  CAF_CHECK_EQUAL(get("/healthz").status, 200u);
  CAF_CHECK_EQUAL(get("/healthz").body, "live: starting\n");
  CAF_CHECK_EQUAL(get("/readyz").status, 503u);
  CAF_CHECK_EQUAL(get("/readyz").body, "not ready: starting\n");
  // However long it takes: opening a large database is not a stuck loop.
  board.refreshed_at = now - 1h;
  CAF_CHECK_EQUAL(get("/healthz").status, 200u);
}

CAF_TEST(serving before the first refresh is not ready yet) {
  serving(0);
  CAF_CHECK_EQUAL(get("/metrics").status, 503u);
  CAF_CHECK_EQUAL(get("/readyz").body, "not ready: no refresh yet\n");
  CAF_CHECK_EQUAL(get("/healthz").status, 200u);
}

CAF_TEST(a reason from the last refresh makes the process not ready) {
  serving(3, 1s, "the cursor store is degraded (its last write failed)");
  auto r = get("/readyz");
  CAF_CHECK_EQUAL(r.status, 503u);
  CAF_CHECK_EQUAL(r.body, "not ready: the cursor store is degraded (its last "
                          "write failed)\n");
  // Still live, and the metrics say why in numbers.
  CAF_CHECK_EQUAL(get("/healthz").status, 200u);
  auto m = get("/metrics");
  CAF_CHECK_EQUAL(m.status, 200u);
  CAF_CHECK(has(m.body, "replication_test_ready 0\n"));
}

CAF_TEST(a board older than the limit while serving means a stuck loop) {
  serving(5, 15s);
  CAF_CHECK_EQUAL(get("/readyz").status, 200u);
  serving(5, 15s + 1ms);
  auto r = get("/readyz");
  CAF_CHECK_EQUAL(r.status, 503u);
  CAF_CHECK(has(r.body, "not ready: the metrics were last refreshed 15.0 s "
                        "ago (limit 15.0 s): the host's loop is stuck"));
  auto h = get("/healthz");
  CAF_CHECK_EQUAL(h.status, 503u);
  CAF_CHECK(has(h.body, "not live: the metrics were last refreshed"));
  // The metrics are still served, with their age and the verdict.
  serving(5, 20s);
  auto m = get("/metrics");
  CAF_CHECK_EQUAL(m.status, 200u);
  CAF_CHECK(has(m.body, "replication_test_metrics_age_seconds 20.000\n"));
  CAF_CHECK(has(m.body, "replication_test_ready 0\n"));
  // A stuck loop outweighs the last refresh's reason: that reason is old.
  serving(5, 20s, "the cursor store is degraded");
  CAF_CHECK(has(get("/readyz").body, "the host's loop is stuck"));
}

CAF_TEST(while stopping the process is live and not ready) {
  serving(7, 1min);
  board.phase = host_phase::stopping;
  // The shutdown is bounded by its own deadline: an old board is no stuck
  // loop, and a failed liveness probe would bring the second signal that
  // cuts the final flush short.
  auto h = get("/healthz");
  CAF_CHECK_EQUAL(h.status, 200u);
  CAF_CHECK_EQUAL(h.body, "live: stopping\n");
  CAF_CHECK_EQUAL(get("/readyz").body, "not ready: stopping\n");
  // The last metrics stay readable to the end.
  auto m = get("/metrics");
  CAF_CHECK_EQUAL(m.status, 200u);
  CAF_CHECK(has(m.body, "a 1\n"));
  CAF_CHECK(has(m.body, "replication_test_ready 0\n"));
}

CAF_TEST(a refresh from the future counts as fresh) {
  // The steady clock of another thread may have read a later time than the
  // reader's now: no negative ages.
  serving(1, -2s);
  CAF_CHECK_EQUAL(get("/readyz").status, 200u);
  CAF_CHECK(has(get("/metrics").body,
                "replication_test_metrics_age_seconds 0.000\n"));
}

CAF_TEST_FIXTURE_SCOPE_END()
