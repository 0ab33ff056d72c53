#define CAF_SUITE peer_list

#include "cli/peer_list.hpp"

#include <sstream>

#include <caf/test/unit_test.hpp>

#include "cli/chunked_set.hpp"
#include "cursor_actor/error.hpp"

using namespace cursor::cli;

namespace {

peer_list read(const std::string& text) {
  std::istringstream in{text};
  return read_peer_list(in);
}

} // namespace

CAF_TEST(peers are read one per line with their line numbers) {
  auto x = read("a\r\n\n b \nc");
  CAF_REQUIRE_EQUAL(x.error, "");
  CAF_REQUIRE_EQUAL(x.peers.size(), 3u);
  CAF_CHECK_EQUAL(x.peers[0].peer, "a");
  CAF_CHECK_EQUAL(x.peers[0].line, 1u);
  // Blanks belong to the peer ID; the CR of CRLF does not.
  CAF_CHECK_EQUAL(x.peers[1].peer, " b ");
  CAF_CHECK_EQUAL(x.peers[1].line, 3u);
  CAF_CHECK_EQUAL(x.peers[2].peer, "c");
  CAF_CHECK_EQUAL(x.peers[2].line, 4u);
}

CAF_TEST(the first bad line is named and nothing is kept) {
  auto x = read("a\nb\na\n");
  CAF_CHECK_EQUAL(x.error, "line 3: peer listed twice (first on line 1)");
  CAF_CHECK(x.peers.empty());
  x = read("a\nbad\x01peer\n");
  CAF_CHECK(x.error.rfind("line 2: invalid_peer_id", 0) == 0);
  CAF_CHECK(x.peers.empty());
  x = read("a\n" + std::string(max_line_size + 1, 'x') + "\n");
  CAF_CHECK(x.error.rfind("line 2: longer than", 0) == 0);
  x = read(std::string(300, 'p') + "\n");
  CAF_CHECK(x.error.rfind("line 1: invalid_peer_id", 0) == 0);
}

CAF_TEST(a list without peers is refused) {
  CAF_CHECK_EQUAL(read("").error, "no peers in the list");
  CAF_CHECK_EQUAL(read("\n\r\n\n").error, "no peers in the list");
}

CAF_TEST(the refused entry of a batch is read from the store error) {
  auto err = caf::make_error(cursor::errc::regression,
                             "batch entry 416 of 1000: cursor of 'p' is 9-0; "
                             "nothing in the batch was applied");
  CAF_CHECK_EQUAL(refused_index(err), 416);
  CAF_CHECK_EQUAL(refused_index(caf::make_error(cursor::errc::closed,
                                                "the store is closed")),
                  -1);
  CAF_CHECK_EQUAL(refused_index(caf::error{}), -1);
  CAF_CHECK_EQUAL(refused_index(caf::make_error(caf::sec::request_timeout)),
                  -1);
}
