#define CAF_SUITE host_status_board

#include "common/status_board.hpp"

#include <atomic>
#include <string>
#include <thread>

#include <caf/test/unit_test.hpp>

#include "common/exit_codes.hpp"

using namespace cursor::app;

CAF_TEST(a board is live but not ready until the program serves) {
  status_board board;
  auto x = board.read();
  CAF_CHECK(x.phase == host_phase::starting);
  CAF_CHECK(x.live());
  CAF_CHECK(!x.ready());
  CAF_CHECK_EQUAL(x.metrics, "");
  CAF_CHECK_EQUAL(x.refreshes, 0u);
  board.set_phase(host_phase::serving);
  CAF_CHECK(board.read().ready());
  board.set_phase(host_phase::stopping);
  x = board.read();
  CAF_CHECK(!x.live());
  CAF_CHECK(!x.ready());
  CAF_CHECK_EQUAL(std::string{to_string(x.phase)}, "stopping");
}

CAF_TEST(a refresh with a reason makes a serving program not ready) {
  status_board board;
  board.set_phase(host_phase::serving);
  board.publish("a 1\n", "the cursor store is degraded");
  auto x = board.read();
  CAF_CHECK(x.live());
  CAF_CHECK(!x.ready());
  CAF_CHECK_EQUAL(x.not_ready, "the cursor store is degraded");
  CAF_CHECK_EQUAL(x.metrics, "a 1\n");
  CAF_CHECK_EQUAL(x.refreshes, 1u);
  // The next refresh replaces the whole text and the reason.
  board.publish("a 2\n", "");
  x = board.read();
  CAF_CHECK(x.ready());
  CAF_CHECK_EQUAL(x.metrics, "a 2\n");
  CAF_CHECK_EQUAL(x.refreshes, 2u);
}

CAF_TEST(a reader on another thread sees whole refreshes only) {
  // Each refresh's text repeats its number; a torn read would mix two.
  status_board board;
  board.set_phase(host_phase::serving);
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread reader{[&] {
    while (!done) {
      auto x = board.read();
      if (x.metrics.empty())
        continue;
      auto n = std::to_string(x.refreshes);
      if (x.metrics != n + " " + n + "\n")
        ++torn;
    }
  }};
  for (int i = 1; i <= 2000; ++i)
    board.publish(std::to_string(i) + " " + std::to_string(i) + "\n", "");
  done = true;
  reader.join();
  CAF_CHECK_EQUAL(torn.load(), 0);
  CAF_CHECK_EQUAL(board.read().refreshes, 2000u);
}

CAF_TEST(the first failure decides the exit code unless the deadline passed) {
  exit_status status;
  CAF_CHECK_EQUAL(status.code(), exit_ok);
  status.fail(exit_ok);
  CAF_CHECK_EQUAL(status.code(), exit_ok);
  status.fail(exit_unclean);
  status.fail(exit_program_first);
  CAF_CHECK_EQUAL(status.code(), exit_unclean);
  status.fail(exit_deadline);
  CAF_CHECK_EQUAL(status.code(), exit_deadline);
  status.fail(exit_unclean);
  CAF_CHECK_EQUAL(status.code(), exit_deadline);
  exit_status other;
  other.fail(exit_program_first);
  other.fail(exit_unclean);
  CAF_CHECK_EQUAL(other.code(), exit_program_first);
}
