// The per-peer pipeline on CAF's deterministic test coordinator, against
// scripted mocks of the source reader, the target writer and the store (the
// recorder is the real one): resume, backoff in simulated time, gaps with and
// without allow-gaps, a target behind the cursor, a store outage, stop.

#define CAF_SUITE tailer_pipeline
#define FAIL CAF_FAIL // the DSL's request<T>() expects this name

#include "tailer/peer_pipeline.hpp"

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/test/dsl.hpp>
#include <hiredis/hiredis.h>
#include <spdlog/logger.h>

#include "cursor_actor/error.hpp"
#include "cursor_actor/register_types.hpp"
#include "tailer/error.hpp"
#include "tailer/recorder.hpp"
#include "tailer/redis_connection.hpp"
#include "tailer/stream_reply.hpp"
#include "tailer/target_check.hpp"

using namespace cursor;
using namespace cursor::tailer;
using tailer_errc = cursor::tailer::errc;
using namespace std::chrono_literals;

namespace {

struct config : caf::actor_system_config {
  config() {
    cursor::register_types(*this);
    tailer::register_error_category(*this);
  }
};

// What the mocks answer and what they saw.
struct script {
  // Source: answers in order; with nothing scripted a read stays pending
  // (a reader waiting in XREAD BLOCK).
  std::deque<caf::expected<read_result>> reads;
  std::vector<std::string> read_positions;
  bool park_reads = false;
  std::vector<std::pair<caf::typed_response_promise<read_result>, std::string>>
      parked_reads;
  // Target: its state (the probe's answer; applies change it), and what
  // each apply saw.
  target_observation target;
  std::vector<std::vector<std::string>> applied;
  uint64_t verifies = 0;
  bool park_applies = false;
  std::vector<
      std::pair<caf::typed_response_promise<apply_result>, apply_result>>
      parked_applies;
  // The next applies write the batch but their answer is lost (redis_io).
  int lose_answers = 0;
  // The target cannot be reached for a check.
  bool verify_unreachable = false;
  // Store.
  std::map<std::string, std::string> cursors;
  bool store_down = false;
  // Per set (plain or batched), in order: false = the store is unavailable
  // for that one; unscripted sets succeed.
  std::deque<bool> set_outcomes;
  uint64_t store_sets = 0;
  // Supervisor.
  std::vector<std::pair<std::string, caf::error>> failures;
};

using script_ptr = std::shared_ptr<script>;

std::string bulk(const std::string& x) {
  return "$" + std::to_string(x.size()) + "\r\n" + x + "\r\n";
}

// A read result with entries `ids` (one field each) and the stream's state.
read_result entries(const std::vector<std::string>& ids, stream_info info) {
  std::string r = "*1\r\n*2\r\n" + bulk("events") + "*"
                  + std::to_string(ids.size()) + "\r\n";
  for (auto& id : ids)
    r += "*2\r\n" + bulk(id) + "*2\r\n" + bulk("k") + bulk("v-" + id);
  std::shared_ptr<const redisReply> owner = parse_reply(r);
  read_result result;
  result.entries = *read_batch(owner, *owner);
  result.info = std::move(info);
  return result;
}

// The fields of the mock's entries, as the tailer compares them.
std::string fields_of(const std::string& id) {
  std::string key;
  append_fields_key(key, "k");
  append_fields_key(key, "v-" + id);
  return key;
}

// A target stream the tailer left at `last` after writing `n` entries.
target_observation target(const std::string& last, uint64_t n) {
  target_observation x;
  x.state.exists = true;
  x.state.last_id = *stream_id::parse(last);
  x.state.entries_added = x.state.length = n;
  x.last_entry = x.state.last_id;
  x.last_entry_fields = fields_of(last);
  return x;
}

stream_info stream(std::string first, std::string last, uint64_t added,
                   uint64_t length, std::string max_deleted = "0-0") {
  stream_info x;
  x.exists = true;
  x.first_entry_id = std::move(first);
  x.last_generated_id = std::move(last);
  x.has_max_deleted = true;
  x.max_deleted_id = std::move(max_deleted);
  x.has_entries_added = true;
  x.entries_added = added;
  x.length = length;
  return x;
}

caf::error unreachable() {
  return caf::make_error(tailer_errc::redis_unreachable,
                         "mock: connection refused");
}

// The reader's interface plus `ok`, which answers the oldest parked read
// with the next scripted result (a promise must be delivered from inside its
// actor).
using mock_reader_actor = source_reader_actor::extend<caf::reacts_to<ok_atom>>;

// The entry at `position` of a scripted stream: its entries are every ID
// from the first to the last (x-0) with the fields of entries().
void add_position(read_result& r, const std::string& position) {
  if (position == "0" || !r.info.exists || r.info.first_entry_id.empty())
    return;
  auto at = *stream_id::parse(position);
  if (*stream_id::parse(r.info.first_entry_id) <= at
      && at <= *stream_id::parse(r.info.last_generated_id))
    r.at_position = fields_of(position);
}

mock_reader_actor::behavior_type mock_reader(mock_reader_actor::pointer self,
                                             script_ptr s) {
  return {
      [self, s](read_atom, const std::string& after,
                const std::string& position) -> caf::result<read_result> {
        s->read_positions.push_back(after);
        if (s->park_reads || s->reads.empty()) {
          // A reader waiting in XREAD BLOCK.
          auto rp = self->make_response_promise<read_result>();
          s->parked_reads.emplace_back(rp, position);
          return rp;
        }
        auto x = std::move(s->reads.front());
        s->reads.pop_front();
        if (!x)
          return std::move(x.error());
        add_position(*x, position);
        return std::move(*x);
      },

      [s](ok_atom) {
        if (s->parked_reads.empty() || s->reads.empty())
          return;
        auto [rp, position] = s->parked_reads.front();
        s->parked_reads.erase(s->parked_reads.begin());
        auto x = std::move(s->reads.front());
        s->reads.pop_front();
        if (x) {
          add_position(*x, position);
          rp.deliver(std::move(*x));
        } else {
          rp.deliver(std::move(x.error()));
        }
      },
  };
}

// The writer's interface plus `ok`, which answers the parked applies (a
// promise must be delivered from inside its actor). It keeps the target's
// state as Redis would and checks the expected state as the writer does.
using mock_writer_actor = target_writer_actor::extend<caf::reacts_to<ok_atom>>;

mock_writer_actor::behavior_type mock_writer(mock_writer_actor::pointer self,
                                             script_ptr s) {
  return {
      [self, s](apply_atom, const entry_batch& xs, const target_state& expected,
                uint64_t skipped) -> caf::result<apply_result> {
        apply_result r;
        r.state = expected;
        if (auto v = check_target(expected, s->target)) {
          r.error = target_fault_error(v, "mock target");
          return r;
        }
        std::vector<std::string> ids;
        for (size_t i = 0; i < xs.size(); ++i) {
          auto id = *stream_id::parse(xs.id(i));
          if (expected.exists && id <= expected.last_id) {
            ++r.duplicates;
            continue;
          }
          ids.emplace_back(xs.id(i));
        }
        s->applied.push_back(ids);
        r.applied = ids.size();
        r.last_id = xs.size() == 0 ? std::string{}
                                   : std::string{xs.id(xs.size() - 1)};
        if (!ids.empty()) {
          r.state = after_apply(expected, ids.size(),
                                *stream_id::parse(ids.back()), skipped);
          s->target.state = r.state;
          s->target.last_entry = r.state.last_id;
          s->target.last_entry_fields = fields_of(ids.back());
        }
        if (s->lose_answers > 0) {
          --s->lose_answers;
          return caf::make_error(tailer_errc::redis_io,
                                 "mock: connection lost after EXEC");
        }
        if (s->park_applies) {
          auto rp = self->make_response_promise<apply_result>();
          s->parked_applies.emplace_back(rp, r);
          return rp;
        }
        return r;
      },
      [s](probe_atom) { return s->target; },
      [s](verify_atom, const target_state& expected) -> caf::result<ok_atom> {
        ++s->verifies;
        if (s->verify_unreachable)
          return unreachable();
        if (auto v = check_target(expected, s->target))
          return target_fault_error(v, "mock target");
        return ok_atom_v;
      },
      [s](ok_atom) {
        for (auto& [rp, r] : s->parked_applies)
          rp.deliver(r);
        s->parked_applies.clear();
      },
  };
}

bool refuse_set(script& s) {
  if (s.set_outcomes.empty())
    return false;
  auto ok = s.set_outcomes.front();
  s.set_outcomes.pop_front();
  return !ok;
}

store_api::behavior_type mock_store(store_api::pointer, script_ptr s) {
  auto down = [s] {
    return caf::make_error(cursor::errc::unavailable, "mock: node down");
  };
  return {
      [s, down](get_atom, start_atom,
                const std::string& peer) -> caf::result<std::string> {
        if (s->store_down)
          return down();
        auto i = s->cursors.find(peer);
        return i == s->cursors.end() ? std::string{"0"} : i->second;
      },
      [s, down](set_atom, const std::string& peer,
                const std::string& id) -> caf::result<ok_atom> {
        if (s->store_down || refuse_set(*s))
          return down();
        ++s->store_sets;
        s->cursors[peer] = id;
        return ok_atom_v;
      },
      [s, down](set_atom, const std::vector<std::string>& peers,
                const std::vector<std::string>& ids) -> caf::result<ok_atom> {
        if (s->store_down || refuse_set(*s))
          return down();
        ++s->store_sets;
        for (size_t i = 0; i < peers.size(); ++i)
          s->cursors[peers[i]] = ids[i];
        return ok_atom_v;
      },
      [](flush_atom) { return uint64_t{0}; },
  };
}

caf::behavior mock_supervisor(caf::event_based_actor*, script_ptr s) {
  return {
      [s](failed_atom, const std::string& peer, const caf::error& err) {
        s->failures.emplace_back(peer, err);
      },
  };
}

struct fixture : test_coordinator_fixture<config> {
  script_ptr s = std::make_shared<script>();
  pipeline_options opts;
  peer_pipeline_actor pipeline;
  mock_writer_actor writer;
  mock_reader_actor reader;
  std::shared_ptr<spdlog::logger> log
      = std::make_shared<spdlog::logger>("tailer-test");

  fixture() {
    opts.peer = "uk.node.leeds-2";
    opts.source_name = "mock source";
    opts.target_name = "mock target";
    // Far beyond anything a test advances: only the backoff fires.
    opts.read_timeout = opts.apply_timeout = opts.store_timeout = 1h;
    opts.retry_base_delay = 100ms;
    opts.retry_max_delay = 500ms;
    opts.batch_size = 10;
    log->set_level(spdlog::level::off);
  }

  void start() {
    auto store = sys.spawn(mock_store, s);
    auto recorder = spawn_recorder(sys, store, 1h);
    auto supervisor = sys.spawn(mock_supervisor, s);
    writer = sys.spawn(mock_writer, s);
    reader = sys.spawn(mock_reader, s);
    pipeline = spawn_peer_pipeline(sys, opts, reader, writer, store, recorder,
                                   supervisor, log);
    drain();
  }

  void drain() {
    while (sched.try_run_once()) {
      // nop
    }
  }

  template <class T, class... Ts>
  std::shared_ptr<caf::expected<T>> ask(Ts... xs) {
    auto slot = std::make_shared<caf::expected<T>>(caf::sec::none);
    sys.spawn(
        [=](caf::event_based_actor* client, int) {
          client->request(pipeline, caf::infinite, xs...)
              .then([=](T& x) { *slot = std::move(x); },
                    [=](caf::error& err) { *slot = std::move(err); });
        },
        0);
    drain();
    return slot;
  }

  peer_stats stats() {
    auto x = ask<peer_stats>(stats_atom_v);
    CAF_REQUIRE(*x);
    return **x;
  }

  ~fixture() override {
    if (pipeline)
      caf::anon_send_exit(pipeline, caf::exit_reason::user_shutdown);
    drain();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(tailer_pipeline_tests, fixture)

CAF_TEST(a new peer reads from 0 applies the entries and records the last) {
  s->reads.push_back(
      entries({"1-0", "2-0", "3-0"}, stream("1-0", "3-0", 3, 3)));
  start();
  CAF_REQUIRE_EQUAL(s->applied.size(), 1u);
  CAF_CHECK_EQUAL(s->applied[0],
                  (std::vector<std::string>{"1-0", "2-0", "3-0"}));
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "3-0");
  // The next read starts after the last entry and waits (nothing new).
  CAF_CHECK_EQUAL(s->read_positions, (std::vector<std::string>{"0", "3-0"}));
  auto x = stats();
  CAF_CHECK_EQUAL(x.applied, 3u);
  CAF_CHECK_EQUAL(x.recorded_id, "3-0");
  CAF_CHECK(!x.failed);
}

CAF_TEST(a failing source is retried after 100 200 400 then 500 ms) {
  for (int i = 0; i < 5; ++i)
    s->reads.push_back(unreachable());
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  start();
  CAF_CHECK_EQUAL(s->read_positions.size(), 1u);
  // Doubling from 100 ms, capped at 500 ms; nothing happens in between.
  for (auto delay : {100ms, 200ms, 400ms, 500ms}) {
    auto before = s->read_positions.size();
    CAF_CHECK_EQUAL(advance_time(delay - 1ms), 0u);
    drain();
    CAF_CHECK_EQUAL(s->read_positions.size(), before);
    CAF_CHECK_EQUAL(advance_time(1ms), 1u);
    drain();
    CAF_CHECK_EQUAL(s->read_positions.size(), before + 1);
  }
  CAF_CHECK(!stats().source_up);
  // The sixth read succeeds: applied, recorded, and the next read waits.
  CAF_CHECK_EQUAL(advance_time(500ms), 1u);
  drain();
  auto x = stats();
  CAF_CHECK_EQUAL(x.source_errors, 5u);
  CAF_CHECK(x.source_up);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "1-0");
  CAF_CHECK_EQUAL(s->read_positions.back(), "1-0");
}

CAF_TEST(a trim past the cursor stops the peer and nothing is applied) {
  s->cursors["uk.node.leeds-2"] = "5-0";
  s->target = target("5-0", 5);
  // 10 entries were added, 7 trimmed: 6-0 and 7-0 were never read.
  s->reads.push_back(
      entries({"8-0", "9-0", "10-0"}, stream("8-0", "10-0", 10, 3)));
  start();
  CAF_REQUIRE_EQUAL(s->failures.size(), 1u);
  CAF_CHECK(is(s->failures[0].second, tailer_errc::gap));
  CAF_CHECK_NOT_EQUAL(describe(s->failures[0].second)
                          .find("2 entries after position 5-0 were trimmed"),
                      std::string::npos);
  CAF_CHECK(s->applied.empty());
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "5-0");
  auto x = stats();
  CAF_CHECK(x.failed);
  CAF_CHECK_EQUAL(x.gaps, 1u);
  // It stays stopped: no read, no retry.
  CAF_CHECK_EQUAL(advance_time(10s), 0u);
  CAF_CHECK_EQUAL(s->read_positions.size(), 1u);
  // A stop long after the fault still answers it (the service may stop the
  // pipelines before it has read the failure message; the exit code is 5
  // either way), and checks nothing more.
  auto verifies = s->verifies;
  auto stopped = ask<std::string>(stop_atom_v);
  CAF_REQUIRE(!*stopped);
  CAF_CHECK(is(stopped->error(), tailer_errc::gap));
  CAF_CHECK(stops_peer(stopped->error()));
  CAF_CHECK_EQUAL(s->verifies, verifies);
}

CAF_TEST(with allow gaps the gap is counted and what is left is applied) {
  opts.allow_gaps = true;
  s->cursors["uk.node.leeds-2"] = "5-0";
  s->target = target("5-0", 5);
  s->reads.push_back(
      entries({"8-0", "9-0", "10-0"}, stream("8-0", "10-0", 10, 3)));
  start();
  CAF_CHECK(s->failures.empty());
  CAF_REQUIRE_EQUAL(s->applied.size(), 1u);
  CAF_CHECK_EQUAL(s->applied[0].front(), "8-0");
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "10-0");
  CAF_CHECK_EQUAL(stats().gaps, 1u);
}

CAF_TEST(a target behind the cursor stops the peer before anything is read) {
  s->cursors["uk.node.leeds-2"] = "5-0";
  s->target = target("3-0", 3);
  start();
  CAF_REQUIRE_EQUAL(s->failures.size(), 1u);
  CAF_CHECK(is(s->failures[0].second, tailer_errc::target_behind));
  CAF_CHECK(s->read_positions.empty());
}

CAF_TEST(a store outage pauses reading until a retried record goes through) {
  s->park_reads = true;
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  s->reads.push_back(entries({"3-0"}, stream("1-0", "3-0", 3, 3)));
  s->reads.push_back(entries({"4-0"}, stream("1-0", "4-0", 4, 4)));
  s->set_outcomes = {false}; // the first record meets an unavailable store
  start();
  CAF_CHECK_EQUAL(s->read_positions.size(), 1u);
  // The first batch is applied; its record fails. The next read went out
  // while the batch was applied (before the failure was known).
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(s->applied.size(), 1u);
  CAF_CHECK_EQUAL(s->read_positions.size(), 2u);
  CAF_CHECK(s->cursors.empty());
  auto x = stats();
  CAF_CHECK_EQUAL(x.store_errors, 1u);
  CAF_CHECK(!x.store_up);
  // That read's batch is applied too, but no further read goes out while
  // the store is unavailable.
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(s->applied.size(), 2u);
  CAF_CHECK_EQUAL(s->read_positions.size(), 2u);
  // The retry, 100 ms after the failure, records the latest applied
  // position; then reading resumes.
  CAF_CHECK_EQUAL(advance_time(99ms), 0u);
  drain();
  CAF_CHECK_EQUAL(s->read_positions.size(), 2u);
  CAF_CHECK_EQUAL(advance_time(1ms), 1u);
  drain();
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "3-0");
  CAF_CHECK_EQUAL(s->read_positions.size(), 3u);
  CAF_CHECK_EQUAL(s->read_positions.back(), "3-0");
  CAF_CHECK(stats().store_up);
}

CAF_TEST(stop waits for the batch in flight and answers the recorded position) {
  s->park_applies = true;
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  start();
  CAF_REQUIRE_EQUAL(s->parked_applies.size(), 1u);
  // The next read (after 2-0) went out while the batch is applied; there is
  // nothing to read, so it waits.
  auto reads = s->read_positions.size();
  s->reads.push_back(entries({"3-0"}, stream("1-0", "3-0", 3, 3)));
  auto stopped = std::make_shared<caf::expected<std::string>>(caf::sec::none);
  sys.spawn(
      [=](caf::event_based_actor* client, int) {
        client->request(pipeline, caf::infinite, stop_atom_v)
            .then([=](std::string& x) { *stopped = std::move(x); },
                  [=](caf::error& err) { *stopped = std::move(err); });
      },
      0);
  drain();
  CAF_CHECK(!*stopped && stopped->error() == caf::sec::none);
  // The writer finishes the batch: recorded, then the stop is answered.
  caf::anon_send(writer, ok_atom_v);
  drain();
  CAF_REQUIRE(*stopped);
  CAF_CHECK_EQUAL(**stopped, "2-0");
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
  // No read after the stop: 3-0 stays unread, and nothing else is applied.
  CAF_CHECK_EQUAL(s->read_positions.size(), reads);
  CAF_CHECK_EQUAL(s->reads.size(), 1u);
  CAF_CHECK_EQUAL(s->applied.size(), 1u);
}

CAF_TEST(the issue case
         : a source recreated while the tailer was down stops the peer) {
  // 100 entries copied (the target ends at 100-0); then 50 more were added,
  // the stream deleted, and 200 new entries added with higher IDs.
  s->cursors["uk.node.leeds-2"] = "100-0";
  s->target = target("100-0", 100);
  std::vector<std::string> ids;
  for (int i = 1000; i < 1010; ++i)
    ids.push_back(std::to_string(i) + "-0");
  s->reads.push_back(entries(ids, stream("1000-0", "1199-0", 200, 200)));
  start();
  CAF_REQUIRE_EQUAL(s->failures.size(), 1u);
  CAF_CHECK(is(s->failures[0].second, tailer_errc::source_replaced));
  CAF_CHECK_NOT_EQUAL(describe(s->failures[0].second)
                          .find("fewer than the 100 it had up to the position"),
                      std::string::npos);
  CAF_CHECK(s->applied.empty());
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "100-0");
  auto x = stats();
  CAF_CHECK(x.failed);
  CAF_CHECK_EQUAL(x.fault, "source_replaced");
}

CAF_TEST(entries read again after a restart are compared and not written) {
  // The cursor says 3-0, the target holds up to 5-0 (applied, not recorded
  // before a crash): 4-0 and 5-0 are read again, counted as duplicates.
  s->cursors["uk.node.leeds-2"] = "3-0";
  s->target = target("5-0", 5);
  s->reads.push_back(
      entries({"4-0", "5-0", "6-0"}, stream("1-0", "6-0", 6, 6)));
  start();
  CAF_REQUIRE(s->failures.empty());
  CAF_REQUIRE_EQUAL(s->applied.size(), 1u);
  CAF_CHECK_EQUAL(s->applied[0], (std::vector<std::string>{"6-0"}));
  auto x = stats();
  CAF_CHECK_EQUAL(x.duplicates, 2u);
  CAF_CHECK_EQUAL(x.applied, 1u);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "6-0");
  CAF_CHECK_EQUAL(s->target.state.entries_added, 6u);
}

CAF_TEST(a target deleted while the peer idles stops the peer) {
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  s->reads.push_back(entries({}, stream("1-0", "2-0", 2, 2)));
  start();
  // The empty read made the pipeline check the target: as it left it.
  CAF_CHECK_EQUAL(s->verifies, 1u);
  CAF_CHECK(s->failures.empty());
  // Deleted (or flushed, or its Redis restarted without data).
  s->target = target_observation{};
  s->reads.push_back(entries({}, stream("1-0", "2-0", 2, 2)));
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(s->verifies, 2u);
  CAF_REQUIRE_EQUAL(s->failures.size(), 1u);
  CAF_CHECK(is(s->failures[0].second, tailer_errc::target_behind));
  CAF_CHECK_NOT_EQUAL(describe(s->failures[0].second).find("does not exist"),
                      std::string::npos);
  CAF_CHECK_EQUAL(stats().fault, "target_behind");
}

CAF_TEST(a foreign write on the target stops the peer before the next batch) {
  s->park_reads = true;
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  s->reads.push_back(entries({"3-0"}, stream("1-0", "3-0", 3, 3)));
  start();
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
  // Another writer adds an entry to the target.
  s->target.state.last_id = stream_id{2, 5};
  s->target.state.entries_added = s->target.state.length = 3;
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_REQUIRE_EQUAL(s->failures.size(), 1u);
  CAF_CHECK(is(s->failures[0].second, tailer_errc::target_foreign));
  CAF_CHECK_EQUAL(s->applied.size(), 1u);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
}

CAF_TEST(an apply whose answer was lost is taken when the target shows it) {
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  s->lose_answers = 1;
  start();
  // The batch reached the target but the answer was lost: not recorded.
  CAF_CHECK(s->cursors.empty());
  CAF_CHECK(!stats().target_up);
  // The probe after the backoff finds the state the batch left: taken,
  // recorded, and reading goes on after it (the read that waited since
  // before the failure is stale and dropped).
  CAF_CHECK_EQUAL(advance_time(100ms), 1u);
  drain();
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
  s->reads.push_back(entries({"3-0"}, stream("1-0", "3-0", 3, 3)));
  s->reads.push_back(entries({"3-0"}, stream("1-0", "3-0", 3, 3)));
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_CHECK(s->failures.empty());
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "3-0");
  CAF_CHECK_EQUAL(s->read_positions.back(), "3-0");
}

CAF_TEST(the stop checks the target once more and answers a fault) {
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  start();
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
  auto verifies = s->verifies;
  // Trimmed by someone while the read waits.
  s->target.state.length = 1;
  auto stopped = ask<std::string>(stop_atom_v);
  CAF_CHECK_EQUAL(s->verifies, verifies + 1);
  CAF_REQUIRE(!*stopped);
  CAF_CHECK(is(stopped->error(), tailer_errc::target_removed));
  CAF_CHECK(stops_peer(stopped->error()));
  CAF_CHECK(stats().failed);
  // A target that cannot be reached then: the position is recorded, the
  // answer says that the target could not be checked (exit code 3).
  fixture down;
  down.s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  down.start();
  down.s->verify_unreachable = true;
  auto unchecked = down.ask<std::string>(stop_atom_v);
  CAF_REQUIRE(!*unchecked);
  CAF_CHECK(is(unchecked->error(), tailer_errc::target_unchecked));
  CAF_CHECK(!stops_peer(unchecked->error()));
  CAF_CHECK_EQUAL(down.s->cursors.at("uk.node.leeds-2"), "1-0");
  // A healthy target: the stop answers the recorded position.
  fixture other;
  other.s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  other.start();
  auto ok = other.ask<std::string>(stop_atom_v);
  CAF_REQUIRE(*ok);
  CAF_CHECK_EQUAL(**ok, "1-0");
}

CAF_TEST(a source gone after every entry was read stops the peer) {
  // Redis keeps nothing of a deleted key: entries added after the last read
  // (or a whole stream created and deleted between two reads) may have gone
  // with it.
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  s->reads.push_back(read_result{}); // no such key
  start();
  CAF_REQUIRE_EQUAL(s->failures.size(), 1u);
  CAF_CHECK(is(s->failures[0].second, tailer_errc::source_behind));
  CAF_CHECK_NOT_EQUAL(describe(s->failures[0].second)
                          .find("entries added after that read"),
                      std::string::npos);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
  // So does a stream seen empty at position 0, then gone.
  fixture empty;
  empty.s->reads.push_back(entries({}, stream("", "0-0", 0, 0)));
  empty.s->reads.push_back(read_result{});
  empty.start();
  CAF_REQUIRE_EQUAL(empty.s->failures.size(), 1u);
  CAF_CHECK(is(empty.s->failures[0].second, tailer_errc::source_behind));
  // A new peer whose stream never existed waits for it, and copies it once
  // it comes.
  fixture fresh;
  fresh.s->reads.push_back(read_result{});
  fresh.s->reads.push_back(read_result{});
  fresh.s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  fresh.start();
  CAF_CHECK(fresh.s->failures.empty());
  CAF_CHECK(!fresh.stats().failed);
  CAF_CHECK_EQUAL(fresh.s->cursors.at("uk.node.leeds-2"), "1-0");
}

CAF_TEST(a source key of another type is a stream gone or waited for) {
  read_result other_type;
  other_type.wrong_type = true;
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  s->reads.push_back(other_type);
  start();
  CAF_REQUIRE_EQUAL(s->failures.size(), 1u);
  CAF_CHECK(is(s->failures[0].second, tailer_errc::source_behind));
  CAF_CHECK_NOT_EQUAL(describe(s->failures[0].second).find("WRONGTYPE"),
                      std::string::npos);
  // A new peer's key of another type is retried with backoff, as a failing
  // source, until it is a stream.
  fixture fresh;
  fresh.s->reads.push_back(other_type);
  fresh.s->reads.push_back(other_type);
  fresh.s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  fresh.start();
  CAF_CHECK_EQUAL(fresh.s->read_positions.size(), 1u);
  CAF_CHECK(!fresh.stats().source_up);
  for (auto delay : {100ms, 200ms}) {
    CAF_CHECK_EQUAL(fresh.advance_time(delay - 1ms), 0u);
    CAF_CHECK_EQUAL(fresh.advance_time(1ms), 1u);
    fresh.drain();
  }
  CAF_CHECK(fresh.s->failures.empty());
  auto x = fresh.stats();
  CAF_CHECK_EQUAL(x.source_errors, 2u);
  CAF_CHECK(x.source_up);
  CAF_CHECK_EQUAL(fresh.s->cursors.at("uk.node.leeds-2"), "1-0");
}

CAF_TEST(a source gone with entries unread stops the peer) {
  // The read returned 1-0 and 2-0 of a stream that ends at 5-0 (COUNT 2).
  opts.batch_size = 2;
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "5-0", 5, 5)));
  s->reads.push_back(read_result{});
  start();
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_REQUIRE_EQUAL(s->failures.size(), 1u);
  CAF_CHECK(is(s->failures[0].second, tailer_errc::source_behind));
  CAF_CHECK_NOT_EQUAL(describe(s->failures[0].second)
                          .find("while entries up to 5-0 were unread"),
                      std::string::npos);
}

CAF_TEST(a source gone at start up stops the peer that had copied from it) {
  s->cursors["uk.node.leeds-2"] = "5-0";
  s->target = target("5-0", 5);
  s->reads.push_back(read_result{});
  start();
  CAF_REQUIRE_EQUAL(s->failures.size(), 1u);
  CAF_CHECK(is(s->failures[0].second, tailer_errc::source_behind));
  CAF_CHECK_NOT_EQUAL(describe(s->failures[0].second).find("cannot tell"),
                      std::string::npos);
  // A new peer waits for its stream.
  fixture other;
  other.s->reads.push_back(read_result{});
  other.start();
  CAF_CHECK(other.s->failures.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
