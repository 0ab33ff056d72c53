// The operator messages of the cursor actor, on the deterministic scheduler
// with a mock writer: the forced batched set (import --force, rewind) and
// the online backup (flush first, then the writer's copy).

#define CAF_SUITE cursor_operator

#include "test.hpp"

using namespace cursor;
using test::store_fixture;

namespace {

using strings = std::vector<std::string>;

struct operator_fixture : store_fixture {
  caf::error force_batch(const strings& peers, const strings& ids) {
    auto r = send<ok_atom>(set_atom_v, force_atom_v, peers, ids);
    drain();
    if (!r.arrived())
      CAF_FAIL("the forced batch got no reply");
    return **r.slot ? caf::error{} : (*r.slot)->error();
  }

  test::reply<uint64_t> backup(const std::string& path) {
    auto r = send<uint64_t>(backup_atom_v, path);
    drain();
    return r;
  }
};

bool mentions(const caf::error& err, const std::string& text) {
  return render(err).find(text) != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cursor_operator_tests, operator_fixture)

CAF_TEST(a forced batch moves cursors backwards and forwards) {
  CAF_CHECK(!set("peer-a", "5-0"));
  CAF_CHECK(!set("peer-b", "1-0"));
  ask<uint64_t>(flush_atom_v).value();
  CAF_CHECK(
      !force_batch({"peer-a", "peer-b", "peer-c"}, {"2-0", "3-0", "1-1"}));
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "2-0");
  CAF_CHECK_EQUAL(get("peer-b").stream_id, "3-0");
  CAF_CHECK_EQUAL(get("peer-c").stream_id, "1-1");
  CAF_CHECK_EQUAL(dirty_count(), 3u);
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 3u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "2-0");
  CAF_CHECK_EQUAL(script->disk.at("peer-b"), "3-0");
}

CAF_TEST(a plain batch still refuses what the forced one accepts) {
  CAF_CHECK(!set("peer-a", "5-0"));
  auto r = send<ok_atom>(set_atom_v, strings{"peer-a"}, strings{"4-0"});
  drain();
  CAF_CHECK(is(r.error(), errc::regression));
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "5-0");
  CAF_CHECK(!force_batch({"peer-a"}, {"4-0"}));
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "4-0");
}

CAF_TEST(a forced batch with a bad entry changes nothing and names it) {
  CAF_CHECK(!set("peer-a", "5-0"));
  ask<uint64_t>(flush_atom_v).value();
  auto before = list();
  auto err = force_batch({"peer-a", "peer-b", "peer-c"}, {"1-0", "1-0", "x"});
  CAF_CHECK(is(err, errc::invalid_stream_id));
  CHECK_MSG(mentions(err, "batch entry 2 of 3"), render(err));
  CAF_CHECK(list() == before);
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  err = force_batch({"peer-a", ""}, {"1-0", "1-0"});
  CAF_CHECK(is(err, errc::invalid_peer_id));
  CAF_CHECK(list() == before);
  err = force_batch({"peer-a", "peer-b"}, {"1-0"});
  CAF_CHECK(is(err, errc::invalid_stream_id));
  CAF_CHECK(list() == before);
}

CAF_TEST(a forced batch setting a peer twice keeps the last value) {
  CAF_CHECK(!set("peer-a", "5-0"));
  CAF_CHECK(!force_batch({"peer-a", "peer-a"}, {"9-0", "1-0"}));
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "1-0");
  CAF_CHECK_EQUAL(dirty_count(), 1u);
}

CAF_TEST(a forced batch after close is refused) {
  CAF_CHECK(!set("peer-a", "5-0"));
  ask<uint64_t>(close_atom_v).value();
  CAF_CHECK(is(force_batch({"peer-a"}, {"1-0"}), errc::closed));
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "5-0");
}

CAF_TEST(a backup commits dirty cursors first and the copy holds them) {
  CAF_CHECK(!set("peer-a", "1-0"));
  ask<uint64_t>(flush_atom_v).value();
  CAF_CHECK(!set("peer-a", "2-0"));
  CAF_CHECK(!set("peer-b", "7-0"));
  CAF_CHECK_EQUAL(dirty_count(), 2u);
  auto r = backup("/backups/one.db");
  CAF_CHECK_EQUAL(r.value(), 2u);
  CAF_REQUIRE_EQUAL(script->backups.size(), 1u);
  CAF_CHECK_EQUAL(script->backups[0].first, "/backups/one.db");
  auto& copy = script->backups[0].second;
  CAF_CHECK_EQUAL(copy.at("peer-a"), "2-0");
  CAF_CHECK_EQUAL(copy.at("peer-b"), "7-0");
  CAF_CHECK_EQUAL(dirty_count(), 0u);
}

CAF_TEST(a backup with nothing dirty writes no transaction) {
  CAF_CHECK(!set("peer-a", "1-0"));
  ask<uint64_t>(flush_atom_v).value();
  auto batches = script->batches.size();
  CAF_CHECK_EQUAL(backup("/b/x.db").value(), 1u);
  CAF_CHECK_EQUAL(script->batches.size(), batches);
  CAF_CHECK_EQUAL(script->backups.size(), 1u);
}

CAF_TEST(a backup whose flush fails is not taken and reports the error) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->write_outcomes.push_back(test::storage_error(10, "disk I/O error"));
  auto r = backup("/b/x.db");
  CAF_CHECK(is(r.error(), errc::storage_error));
  CAF_CHECK(script->backups.empty());
  CAF_CHECK_EQUAL(dirty_count(), 1u);
}

CAF_TEST(a backup the writer refuses reaches the requester unchanged) {
  script->backup_outcomes.push_back(
      caf::make_error(errc::backup_exists, "backup '/b/x.db' exists already"));
  auto r = backup("/b/x.db");
  CAF_CHECK(is(r.error(), errc::backup_exists));
  CHECK_MSG(mentions(r.error(), "exists already"), render(r.error()));
  // The store is not degraded by a refused backup: writes go on.
  CAF_CHECK(!set("peer-a", "1-0"));
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 1u);
  CAF_CHECK(!stats().degraded);
}

CAF_TEST(a busy flush before a backup is retried and the backup follows) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->write_outcomes.push_back(test::busy_error());
  auto r = send<uint64_t>(backup_atom_v, std::string{"/b/x.db"});
  drain();
  CAF_CHECK(!r.arrived());
  CAF_CHECK(script->backups.empty());
  advance_time(std::chrono::milliseconds(10));
  drain();
  CAF_CHECK_EQUAL(r.value(), 1u);
  CAF_REQUIRE_EQUAL(script->backups.size(), 1u);
  CAF_CHECK_EQUAL(script->backups[0].second.at("peer-a"), "1-0");
}

CAF_TEST(a backup after close is refused with closed) {
  ask<uint64_t>(close_atom_v).value();
  CAF_CHECK(is(backup("/b/x.db").error(), errc::closed));
  CAF_CHECK(script->backups.empty());
}

CAF_TEST(backup names that are paths or hidden files are refused) {
  for (auto name : {"", ".", "..", "../x.db", "a/b.db", "/etc/passwd",
                    ".hidden", "-rf", "a..b", "a b", "x\ny", "ok\xc3\xa9"})
    CHECK_MSG(is(validate_backup_name(name), errc::invalid_backup_name),
              "accepted '" << name << "'");
  CAF_CHECK(is(validate_backup_name(std::string("a\0b", 3)),
               errc::invalid_backup_name));
  CAF_CHECK(is(validate_backup_name(std::string(201, 'a')),
               errc::invalid_backup_name));
  for (auto name :
       {"cursors-2024-05-01.db", "a", "x.y.z", "A_b-c+d@e=f", "nightly."})
    CHECK_MSG(!validate_backup_name(name), "refused '" << name << "'");
  CAF_CHECK(!validate_backup_name(std::string(200, 'a')));
}

CAF_TEST_FIXTURE_SCOPE_END()
