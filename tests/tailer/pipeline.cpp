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
  std::vector<caf::typed_response_promise<read_result>> parked_reads;
  // Target: the probe's answer, and what each apply saw.
  stream_info target;
  std::vector<std::vector<std::string>> applied;
  bool park_applies = false;
  std::vector<
      std::pair<caf::typed_response_promise<apply_result>, apply_result>>
      parked_applies;
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

mock_reader_actor::behavior_type mock_reader(mock_reader_actor::pointer self,
                                             script_ptr s) {
  return {
      [self, s](read_atom,
                const std::string& after) -> caf::result<read_result> {
        s->read_positions.push_back(after);
        if (s->park_reads || s->reads.empty()) {
          // A reader waiting in XREAD BLOCK.
          auto rp = self->make_response_promise<read_result>();
          s->parked_reads.push_back(rp);
          return rp;
        }
        auto x = std::move(s->reads.front());
        s->reads.pop_front();
        if (!x)
          return std::move(x.error());
        return std::move(*x);
      },

      [s](ok_atom) {
        if (s->parked_reads.empty() || s->reads.empty())
          return;
        auto rp = s->parked_reads.front();
        s->parked_reads.erase(s->parked_reads.begin());
        auto x = std::move(s->reads.front());
        s->reads.pop_front();
        if (x)
          rp.deliver(std::move(*x));
        else
          rp.deliver(std::move(x.error()));
      },
  };
}

// The writer's interface plus `ok`, which answers the parked applies (a
// promise must be delivered from inside its actor).
using mock_writer_actor = target_writer_actor::extend<caf::reacts_to<ok_atom>>;

mock_writer_actor::behavior_type mock_writer(mock_writer_actor::pointer self,
                                             script_ptr s) {
  return {
      [self, s](apply_atom,
                const entry_batch& xs) -> caf::result<apply_result> {
        std::vector<std::string> ids;
        for (size_t i = 0; i < xs.size(); ++i)
          ids.emplace_back(xs.id(i));
        s->applied.push_back(ids);
        apply_result r;
        r.applied = ids.size();
        r.last_id = ids.empty() ? std::string{} : ids.back();
        if (s->park_applies) {
          auto rp = self->make_response_promise<apply_result>();
          s->parked_applies.emplace_back(rp, r);
          return rp;
        }
        return r;
      },
      [s](probe_atom) { return s->target; },
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
  s->target = stream("1-0", "5-0", 5, 5);
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
}

CAF_TEST(with allow gaps the gap is counted and what is left is applied) {
  opts.allow_gaps = true;
  s->cursors["uk.node.leeds-2"] = "5-0";
  s->target = stream("1-0", "5-0", 5, 5);
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
  s->target = stream("1-0", "3-0", 3, 3);
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

CAF_TEST_FIXTURE_SCOPE_END()
