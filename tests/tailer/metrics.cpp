#define CAF_SUITE tailer_metrics

#include "tailer/metrics.hpp"

#include <caf/test/unit_test.hpp>

using namespace cursor::tailer;

CAF_TEST(label values are escaped as Prometheus requires) {
  CAF_CHECK_EQUAL(escape_label("uk.node.leeds-2"), "uk.node.leeds-2");
  CAF_CHECK_EQUAL(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

CAF_TEST(every peer gets its counters and gauges) {
  peer_stats a;
  a.peer = "uk.node.a";
  a.applied = 7;
  a.duplicates = 2;
  a.gaps = 1;
  a.lag_ms = 1500;
  a.target_up = false;
  a.target_errors = 3;
  a.failed = true;
  auto text = render_metrics({a});
  for (auto line :
       {"replication_tailer_peers 1\n",
        "replication_tailer_entries_applied_total{peer=\"uk.node.a\"} 7\n",
        "replication_tailer_duplicates_total{peer=\"uk.node.a\"} 2\n",
        "replication_tailer_gaps_total{peer=\"uk.node.a\"} 1\n",
        "replication_tailer_lag_seconds{peer=\"uk.node.a\"} 1.500\n",
        "replication_tailer_peer_failed{peer=\"uk.node.a\"} 1\n",
        "replication_tailer_errors_total{peer=\"uk.node.a\",party=\"target\"} "
        "3\n",
        "replication_tailer_up{peer=\"uk.node.a\",party=\"target\"} 0\n",
        "replication_tailer_up{peer=\"uk.node.a\",party=\"source\"} 1\n",
        "# TYPE replication_tailer_gaps_total counter\n",
        "# TYPE replication_tailer_lag_seconds gauge\n"})
    CAF_CHECK_NOT_EQUAL(text.find(line), std::string::npos);
}

CAF_TEST(a stopped peer names its reason and a running one has no sample) {
  peer_stats a;
  a.peer = "uk.node.a";
  a.failed = true;
  a.fault = "target_foreign";
  peer_stats b;
  b.peer = "uk.node.b";
  auto text = render_metrics({a, b});
  CAF_CHECK_NOT_EQUAL(text.find("# TYPE replication_tailer_peer_fault gauge\n"),
                      std::string::npos);
  CAF_CHECK_NOT_EQUAL(text.find("replication_tailer_peer_fault{peer=\"uk.node."
                                "a\",reason=\"target_foreign\"} 1\n"),
                      std::string::npos);
  CAF_CHECK_EQUAL(text.find("replication_tailer_peer_fault{peer=\"uk.node.b\""),
                  std::string::npos);
}
