// The batched set (all or nothing) and the order of the batches the store
// hands to its writer, on the deterministic scheduler with a mock writer.

#define CAF_SUITE cursor_batch

#include "test.hpp"

#include <random>
#include <set>

using namespace cursor;
using test::store_fixture;

namespace {

using strings = std::vector<std::string>;

struct batch_fixture : store_fixture {
  cursor_actor batch_store() { return store; }

  caf::error set_batch(const strings& peers, const strings& ids) {
    auto r = send_to<ok_atom>(batch_store(), set_atom_v, peers, ids);
    drain();
    if (!r.arrived())
      CAF_FAIL("the batch got no reply");
    return **r.slot ? caf::error{} : (*r.slot)->error();
  }

  void release() {
    caf::anon_send(caf::actor_cast<test::mock_writer_actor>(writer),
                   test::release_atom_v);
  }

  // Every batch the writer received is sorted strictly by peer.
  bool batches_sorted() {
    for (auto& batch : script->batches)
      for (size_t i = 1; i < batch.ops.size(); ++i)
        if (!(batch.ops[i - 1].peer < batch.ops[i].peer))
          return false;
    return true;
  }
};

bool mentions(const caf::error& err, const std::string& text) {
  return render(err).find(text) != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cursor_batch_tests, batch_fixture)

CAF_TEST(a valid batch sets every entry and one flush writes them sorted) {
  CAF_CHECK(!set_batch({"peer-c", "peer-a", "peer-b"}, {"3-0", "1-0", "2-0"}));
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "1-0");
  CAF_CHECK_EQUAL(get("peer-b").stream_id, "2-0");
  CAF_CHECK_EQUAL(get("peer-c").stream_id, "3-0");
  CAF_CHECK(!get("peer-c").durable);
  CAF_CHECK_EQUAL(dirty_count(), 3u);
  CAF_CHECK(script->batches.empty()); // debounced like a plain set
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 3u);
  CAF_REQUIRE_EQUAL(script->batches.size(), 1u);
  CAF_CHECK(batches_sorted());
  CAF_CHECK_EQUAL(script->disk.at("peer-c"), "3-0");
  CAF_CHECK(get("peer-c").durable);
}

CAF_TEST(a peer set twice in one batch ends at its last value) {
  CAF_CHECK(!set_batch({"peer-a", "peer-a", "peer-a"}, {"1-0", "2-0", "2-5"}));
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "2-5");
  CAF_CHECK_EQUAL(dirty_count(), 1u);
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "2-5");
}

CAF_TEST(an empty batch is ok and changes nothing) {
  CAF_CHECK(!set_batch({}, {}));
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  CAF_CHECK_EQUAL(stats().entries, 0u);
}

CAF_TEST(entries equal to the current value change nothing) {
  CAF_CHECK(!set("peer-a", "5-0"));
  ask<uint64_t>(flush_atom_v).value();
  CAF_CHECK(!set_batch({"peer-a"}, {"5-0"}));
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  CAF_CHECK(get("peer-a").durable);
}

CAF_TEST(a batch with an invalid stream ID changes nothing and names it) {
  CAF_CHECK(!set("peer-a", "5-0"));
  ask<uint64_t>(flush_atom_v).value();
  auto before = list();
  auto err = set_batch({"peer-a", "peer-b", "peer-c"}, {"6-0", "1-0", "x"});
  CAF_CHECK(is(err, errc::invalid_stream_id));
  CHECK_MSG(mentions(err, "batch entry 2 of 3"), render(err));
  CAF_CHECK(list() == before);
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "5-0");
  CAF_CHECK(get("peer-a").durable);
  CAF_CHECK(!get("peer-b").found);
  CAF_CHECK_EQUAL(dirty_count(), 0u);
}

CAF_TEST(a batch with an invalid peer ID changes nothing) {
  auto err = set_batch({"peer-a", ""}, {"1-0", "1-0"});
  CAF_CHECK(is(err, errc::invalid_peer_id));
  CHECK_MSG(mentions(err, "batch entry 1 of 2"), render(err));
  err = set_batch({"peer-a", "bad\xff"}, {"1-0", "1-0"});
  CAF_CHECK(is(err, errc::invalid_peer_id));
  CAF_CHECK(!get("peer-a").found);
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  CAF_CHECK_EQUAL(stats().entries, 0u);
}

CAF_TEST(a regression undoes the entries applied before it) {
  CAF_CHECK(!set("peer-a", "5-0"));
  ask<uint64_t>(flush_atom_v).value();
  auto before = list();
  // new-peer is added, peer-a moves up, peer-b is added, then peer-a would
  // move back below the batch's own earlier entry: all of it is refused.
  auto err = set_batch({"new-peer", "peer-a", "peer-b", "peer-a"},
                       {"1-0", "6-0", "2-0", "5-5"});
  CAF_CHECK(is(err, errc::regression));
  CHECK_MSG(mentions(err, "batch entry 3 of 4"), render(err));
  CHECK_MSG(mentions(err, "6-0"), render(err));
  CAF_CHECK(list() == before);
  CAF_CHECK(!get("new-peer").found);
  CAF_CHECK(!get("peer-b").found);
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "5-0");
  CAF_CHECK(get("peer-a").durable);
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  CAF_CHECK_EQUAL(stats().entries, 1u);
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 0u);
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
}

CAF_TEST(a regression against the stored value is refused) {
  CAF_CHECK(!set("peer-a", "5-0"));
  auto err = set_batch({"peer-b", "peer-a"}, {"1-0", "4-0"});
  CAF_CHECK(is(err, errc::regression));
  CAF_CHECK(!get("peer-b").found);
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "5-0");
  CAF_CHECK_EQUAL(dirty_count(), 1u); // peer-a's own earlier set
}

CAF_TEST(vectors of different lengths are refused) {
  auto err = set_batch({"peer-a", "peer-b"}, {"1-0"});
  CAF_CHECK(is(err, errc::invalid_stream_id));
  CHECK_MSG(mentions(err, "2 peers but 1 stream IDs"), render(err));
  CAF_CHECK(!get("peer-a").found);
  CAF_CHECK_EQUAL(dirty_count(), 0u);
}

CAF_TEST(a batch after close is refused with closed) {
  CAF_CHECK(!set("peer-a", "1-0"));
  CAF_CHECK_EQUAL(ask<uint64_t>(close_atom_v).value(), 1u);
  CAF_CHECK(is(set_batch({"peer-a"}, {"2-0"}), errc::closed));
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "1-0");
}

CAF_TEST(a batch during a held write lands in the next transaction) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK(!set_batch({"peer-a", "peer-b"}, {"2-0", "1-0"}));
  script->hold_writes = false;
  release();
  drain();
  CAF_CHECK_EQUAL(r.value(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "1-0");
  CAF_CHECK_EQUAL(dirty_count(), 2u);
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 2u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "2-0");
  CAF_CHECK_EQUAL(script->disk.at("peer-b"), "1-0");
}

CAF_TEST(a batch over a pending delete sets the peer anew or changes nothing) {
  CAF_CHECK(!set("peer-a", "5-0"));
  ask<uint64_t>(flush_atom_v).value();
  script->hold_writes = true;
  auto deleted = send<bool>(delete_atom_v, std::string{"peer-a"});
  drain();
  CAF_CHECK(!get("peer-a").found); // the delete is pending
  // A refused batch leaves the pending delete as it was.
  CAF_CHECK(
      is(set_batch({"peer-a", ""}, {"9-0", "1-0"}), errc::invalid_peer_id));
  CAF_CHECK(is(set_batch({"peer-a", "peer-b", "peer-b"}, {"9-0", "2-0", "1-0"}),
               errc::regression));
  CAF_CHECK(!get("peer-a").found);
  CAF_CHECK_EQUAL(stats().entries, 0u);
  // A deleted peer has no value to regress from: 1-0 is accepted.
  CAF_CHECK(!set_batch({"peer-a"}, {"1-0"}));
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "1-0");
  CAF_CHECK_EQUAL(stats().entries, 1u);
  script->hold_writes = false;
  release();
  drain();
  CAF_CHECK_EQUAL(deleted.value(), true);
  CAF_CHECK_EQUAL(script->disk.count("peer-a"), 0u); // the delete committed
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "1-0");
  CAF_CHECK_EQUAL(dirty_count(), 0u);
}

// Issue 17: with p's delete pending, [p: 5-0, p: 3-0] left p at 3-0 while
// two plain sets refuse the second.
CAF_TEST(a batch over a pending delete refuses what two plain sets refuse) {
  CAF_CHECK(!set("p", "10-0"));
  ask<uint64_t>(flush_atom_v).value();
  script->hold_writes = true;
  auto deleted = send<bool>(delete_atom_v, std::string{"p"});
  drain();
  CAF_REQUIRE(!get("p").found);
  auto err = set_batch({"p", "p"}, {"5-0", "3-0"});
  CAF_CHECK(is(err, errc::regression));
  CAF_CHECK(mentions(err, "batch entry 1 of 2: cursor of 'p' is 5-0"));
  CAF_CHECK(!get("p").found);
  CAF_CHECK_EQUAL(stats().entries, 0u);
  script->hold_writes = false;
  release();
  drain();
  CAF_CHECK_EQUAL(deleted.value(), true);
  CAF_CHECK_EQUAL(script->disk.count("p"), 0u);
  CAF_CHECK_EQUAL(dirty_count(), 0u);
}

CAF_TEST(batches are sorted exactly as strings whatever the peers share) {
  // Prefixes of one another, a shared prefix that shrinks after the first
  // marks were taken, equal eight-byte windows, non-ASCII peers.
  strings peers{"eu.node.peer-10",
                "eu.node.peer-2",
                "eu.node.peer-1",
                "eu.node.peer-100000000000",
                "eu.node.peer-10000000000",
                "eu.node.peer-1000000000a",
                "eu.other",
                "eu",
                "e",
                "a",
                "ab",
                "abc",
                "aa",
                "a~",
                "Z",
                "z",
                "\xc3\xa9t\xc3\xa9",
                "node.x.very-long-name-1",
                "node.x.very-long-name-2"};
  for (size_t i = 0; i < peers.size(); ++i)
    CAF_CHECK(!set(peers[i], std::to_string(i + 1) + "-0"));
  CAF_CHECK(!set("eu.node.peer-1", "99-0")); // a second change, same mark
  // The delete starts the transaction; its batch holds every change, the
  // delete of "ab" included.
  CAF_CHECK_EQUAL(ask<bool>(delete_atom_v, std::string{"ab"}).value(), true);
  CAF_REQUIRE_EQUAL(script->batches.size(), 1u);
  auto& ops = script->batches[0].ops;
  std::set<std::string> expected(peers.begin(), peers.end());
  CAF_REQUIRE_EQUAL(ops.size(), expected.size());
  size_t k = 0;
  for (auto& peer : expected)
    CAF_CHECK_EQUAL(ops[k++].peer, peer);
  CAF_CHECK(batches_sorted());
}

CAF_TEST(random peers in random batches are written sorted and complete) {
  std::mt19937 rng{7};
  std::string alphabet = "ab.-09Z~";
  std::set<std::string> all;
  for (int round = 0; round < 5; ++round) {
    strings peers;
    strings ids;
    for (int i = 0; i < 200; ++i) {
      std::string peer = round % 2 == 0 ? "mesh.node." : "";
      auto len = 1 + rng() % 12;
      for (size_t j = 0; j < len; ++j)
        peer += alphabet[rng() % alphabet.size()];
      peers.push_back(peer);
      ids.push_back(std::to_string(1000 + round) + "-" + std::to_string(i));
    }
    CAF_CHECK(!set_batch(peers, ids));
    all.insert(peers.begin(), peers.end());
    auto rows = ask<uint64_t>(flush_atom_v).value();
    CAF_CHECK_EQUAL(rows,
                    std::set<std::string>(peers.begin(), peers.end()).size());
  }
  CAF_CHECK(batches_sorted());
  CAF_CHECK_EQUAL(script->disk.size(), all.size());
  CAF_CHECK_EQUAL(stats().entries, all.size());
}

CAF_TEST_FIXTURE_SCOPE_END()
