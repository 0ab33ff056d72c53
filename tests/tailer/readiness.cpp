#define CAF_SUITE tailer_readiness

#include "tailer/readiness.hpp"

#include <caf/test/unit_test.hpp>

using namespace cursor::tailer;

namespace {

peer_stats running(const std::string& id) {
  peer_stats x;
  x.peer = id;
  return x;
}

} // namespace

CAF_TEST(every peer replicating is ready) {
  CAF_CHECK_EQUAL(peers_not_ready({"a", "b"}, {running("b"), running("a")}),
                  "");
  CAF_CHECK_EQUAL(peers_not_ready({}, {}), "");
}

CAF_TEST(each reason a peer is not ready is named) {
  auto failed = running("a");
  failed.failed = true;
  failed.last_error = "gap: entries deleted before they were read";
  CAF_CHECK_EQUAL(peers_not_ready({"a"}, {failed}),
                  "peer 'a': stopped for good: gap: entries deleted before "
                  "they were read");
  failed.last_error.clear();
  CAF_CHECK_EQUAL(peers_not_ready({"a"}, {failed}),
                  "peer 'a': stopped for good");
  CAF_CHECK_EQUAL(peers_not_ready({"a"}, {}),
                  "peer 'a': its pipeline did not answer");
  auto x = running("a");
  x.source_up = false;
  CAF_CHECK_EQUAL(peers_not_ready({"a"}, {x}),
                  "peer 'a': its source is unreachable (retrying)");
  x = running("a");
  x.target_up = false;
  CAF_CHECK_EQUAL(peers_not_ready({"a"}, {x}),
                  "peer 'a': the target is unreachable (retrying)");
  x = running("a");
  x.store_up = false;
  CAF_CHECK_EQUAL(peers_not_ready({"a"}, {x}),
                  "peer 'a': the cursor store is unreachable (retrying)");
}

CAF_TEST(the first peer in configuration order is named and the rest counted) {
  auto a = running("a");
  a.target_up = false;
  auto c = running("c");
  c.source_up = false;
  // Answers come in any order; "b" did not answer at all.
  CAF_CHECK_EQUAL(peers_not_ready({"a", "b", "c", "d"}, {c, running("d"), a}),
                  "peer 'a': the target is unreachable (retrying) (and 2 "
                  "more peers)");
  CAF_CHECK_EQUAL(peers_not_ready({"c", "a"}, {c, a}),
                  "peer 'c': its source is unreachable (retrying) (and 1 "
                  "more peer)");
}
