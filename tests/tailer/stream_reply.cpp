#define CAF_SUITE tailer_stream_reply

#include "tailer/stream_reply.hpp"

#include <string>

#include <caf/test/unit_test.hpp>
#include <hiredis/hiredis.h>

#include "tailer/error.hpp"
#include "tailer/redis_connection.hpp"
#include "tailer/target_writer.hpp"

using namespace cursor::tailer;

namespace {

// Parses RESP bytes with hiredis' reader and the tailer's reply arenas, as
// a connection does.
reply_ptr resp(const std::string& bytes) {
  auto result = parse_reply(bytes);
  CAF_REQUIRE(result != nullptr);
  return result;
}

std::string bulk(const std::string& x) {
  return "$" + std::to_string(x.size()) + "\r\n" + x + "\r\n";
}

// An XINFO STREAM reply of Redis 7.0 (RESP2), as redis-server sends it.
std::string xinfo(bool with_first) {
  std::string r = "*20\r\n";
  r += bulk("length") + ":2\r\n";
  r += bulk("radix-tree-keys") + ":1\r\n";
  r += bulk("radix-tree-nodes") + ":2\r\n";
  r += bulk("last-generated-id") + bulk("5-1");
  r += bulk("max-deleted-entry-id") + bulk("2-1");
  r += bulk("entries-added") + ":5\r\n";
  r += bulk("recorded-first-entry-id") + bulk("4-1");
  r += bulk("groups") + ":0\r\n";
  r += bulk("first-entry");
  r += with_first ? "*2\r\n" + bulk("4-1") + "*2\r\n" + bulk("a") + bulk("b")
                  : std::string{"*-1\r\n"};
  r += bulk("last-entry") + "*2\r\n" + bulk("5-1") + "*2\r\n" + bulk("a")
       + bulk("b");
  return r;
}

} // namespace

CAF_TEST(XINFO STREAM of Redis 7 gives the facts of the gap check) {
  auto info = parse_xinfo(*resp(xinfo(true)));
  CAF_REQUIRE(info);
  CAF_CHECK(info->exists);
  CAF_CHECK_EQUAL(info->last_generated_id, "5-1");
  CAF_CHECK(info->has_max_deleted);
  CAF_CHECK_EQUAL(info->max_deleted_id, "2-1");
  CAF_CHECK(info->has_entries_added);
  CAF_CHECK_EQUAL(info->entries_added, 5u);
  CAF_CHECK_EQUAL(info->length, 2u);
  CAF_CHECK_EQUAL(info->first_entry_id, "4-1");
  auto empty = parse_xinfo(*resp(xinfo(false)));
  CAF_REQUIRE(empty);
  CAF_CHECK_EQUAL(empty->first_entry_id, "");
}

CAF_TEST(XINFO STREAM of a target gives its state and its last entry) {
  auto info = parse_xinfo(*resp(xinfo(true)));
  CAF_REQUIRE(info);
  CAF_CHECK_EQUAL(info->last_entry_id, "5-1");
  auto seen = observe_target(*info);
  CAF_REQUIRE(seen);
  CAF_CHECK(seen->state.exists);
  CAF_CHECK(seen->has_counters);
  CAF_CHECK_EQUAL(seen->state.last_id, (cursor::stream_id{5, 1}));
  CAF_CHECK_EQUAL(seen->state.max_deleted, (cursor::stream_id{2, 1}));
  CAF_CHECK_EQUAL(seen->state.entries_added, 5u);
  CAF_CHECK_EQUAL(seen->state.length, 2u);
  CAF_REQUIRE(seen->last_entry);
  CAF_CHECK_EQUAL(*seen->last_entry, (cursor::stream_id{5, 1}));
  CAF_CHECK_EQUAL(*seen->last_entry_fields, "1:a1:b");
  // An ID that does not parse is a protocol error, not a state.
  auto bad = *info;
  bad.last_generated_id = "5-x";
  CAF_CHECK(is(observe_target(bad).error(), errc::redis_protocol));
}

CAF_TEST(fields keys tell entries apart exactly when their fields differ) {
  // "ab" + "c" and "a" + "bc" are different entries: lengths are part of
  // the key.
  auto one = resp("*2\r\n" + bulk("ab") + bulk("c"));
  auto two = resp("*2\r\n" + bulk("a") + bulk("bc"));
  CAF_CHECK_NOT_EQUAL(fields_key(*one), fields_key(*two));
  CAF_CHECK_EQUAL(fields_key(*one),
                  fields_key(*resp("*2\r\n" + bulk("ab") + bulk("c"))));
  CAF_CHECK_EQUAL(fields_key(*resp("*-1\r\n")), "");
  // The entry at a position: its fields, or none.
  auto at = parse_entry_at(
      *resp("*1\r\n*2\r\n" + bulk("3-0") + "*2\r\n" + bulk("k") + bulk("v")));
  CAF_REQUIRE(at);
  CAF_REQUIRE(*at);
  CAF_CHECK_EQUAL(**at, "1:k1:v");
  auto none = parse_entry_at(*resp("*0\r\n"));
  CAF_REQUIRE(none);
  CAF_CHECK(!*none);
  CAF_CHECK(is(parse_entry_at(*resp(":1\r\n")).error(), errc::redis_protocol));
}

CAF_TEST(XINFO STREAM of Redis 6 lacks the Redis 7 fields) {
  std::string r = "*6\r\n" + bulk("length") + ":1\r\n"
                  + bulk("last-generated-id") + bulk("1-0")
                  + bulk("first-entry") + "*-1\r\n";
  auto info = parse_xinfo(*resp(r));
  CAF_REQUIRE(info);
  CAF_CHECK(!info->has_max_deleted);
  CAF_CHECK(!info->has_entries_added);
}

CAF_TEST(XREAD replies with binary fields parse entry by entry) {
  std::string value{"a\0b\r\nc", 6};
  std::string r = "*1\r\n*2\r\n" + bulk("events") + "*2\r\n" + "*2\r\n"
                  + bulk("1-0") + "*2\r\n" + bulk("k") + bulk(value) + "*2\r\n"
                  + bulk("2-5") + "*4\r\n" + bulk("f") + bulk("") + bulk("g")
                  + bulk("h");
  std::shared_ptr<const redisReply> owner = resp(r);
  auto xs = read_batch(owner, *owner);
  CAF_REQUIRE(xs);
  owner.reset(); // the batch keeps the reply alive
  CAF_REQUIRE_EQUAL(xs->size(), 2u);
  CAF_CHECK_EQUAL(xs->id(0), "1-0");
  CAF_CHECK_EQUAL(xs->field_count(0), 2u);
  CAF_CHECK_EQUAL(xs->field(0, 1), value);
  CAF_CHECK_EQUAL(xs->id(1), "2-5");
  CAF_CHECK_EQUAL(xs->field_count(1), 4u);
  CAF_CHECK_EQUAL(xs->field(1, 1), "");
  std::shared_ptr<const redisReply> nil = resp("*-1\r\n");
  auto none = read_batch(nil, *nil);
  CAF_REQUIRE(none);
  CAF_CHECK(none->empty());
}

CAF_TEST(replies of the wrong shape are protocol errors) {
  for (auto bad : {std::string{":1\r\n"}, "*1\r\n*1\r\n" + bulk("k"),
                   "*1\r\n*2\r\n" + bulk("k") + "*1\r\n*1\r\n" + bulk("1-0"),
                   "*1\r\n*2\r\n" + bulk("k") + "*1\r\n*2\r\n" + bulk("1-0")
                       + "*1\r\n:5\r\n"}) {
    std::shared_ptr<const redisReply> owner = resp(bad);
    auto xs = read_batch(owner, *owner);
    CAF_CHECK(!xs && is(xs.error(), errc::redis_protocol));
  }
  CAF_CHECK(is(parse_xinfo(*resp("*1\r\n" + bulk("x"))).error(),
               errc::redis_protocol));
  CAF_CHECK(is(parse_xinfo(*resp("*2\r\n" + bulk("length") + ":1\r\n")).error(),
               errc::redis_protocol));
}

CAF_TEST(a missing stream and a duplicate XADD are recognised by their text) {
  CAF_CHECK(is_no_such_key(*resp("-ERR no such key\r\n")));
  CAF_CHECK(!is_no_such_key(*resp("-WRONGTYPE Operation against a key\r\n")));
  CAF_CHECK(is_duplicate_refusal("ERR The ID specified in XADD is equal or "
                                 "smaller than the target stream top item"));
  CAF_CHECK(!is_duplicate_refusal("OOM command not allowed"));
  CAF_CHECK(!is_duplicate_refusal("ERR The ID specified in XADD must be "
                                  "greater than 0-0"));
}
