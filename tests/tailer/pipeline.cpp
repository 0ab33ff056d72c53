// The per-peer pipeline on CAF's deterministic test coordinator, against
// scripted mocks of the source reader, the target writer and the store (the
// recorder is the real one): resume, backoff in simulated time, gaps with and
// without allow-gaps, a target behind the cursor, a store outage, stop.
// Every branch of app/tailer/peer_pipeline.cpp has a case here; the table of
// which case drives which branch, the coverage gcov measures and the branches
// that cannot be taken are in docs/TAILER.md, "Every branch of the pipeline":
// a change of the pipeline adds its rows there and its cases here.

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
#include <spdlog/sinks/ringbuffer_sink.h>

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
  // The target cannot be reached for a check; with park_verifies each check
  // waits for `ok` to the writer.
  bool verify_unreachable = false;
  bool park_verifies = false;
  std::vector<std::pair<caf::typed_response_promise<ok_atom>, target_state>>
      parked_verifies;
  // The next applies, in order: a null error goes through, any other fails
  // before writing anything.
  std::deque<caf::error> apply_errors;
  // Probes: how many were asked; the next `probe_failures` cannot reach the
  // target; with park_probes each waits for `ok` to the writer.
  uint64_t probes = 0;
  int probe_failures = 0;
  bool park_probes = false;
  std::vector<caf::typed_response_promise<target_observation>> parked_probes;
  // Store.
  std::map<std::string, std::string> cursors;
  bool store_down = false;
  // Gets: how many were asked; `get_text` / `get_error` replace the answer
  // (what a broken store could say; a refusal); with park_gets each waits
  // for `ok` to the store.
  uint64_t gets = 0;
  std::optional<std::string> get_text;
  caf::error get_error;
  bool park_gets = false;
  std::vector<caf::typed_response_promise<std::string>> parked_gets;
  // Every set is refused with this error (someone else moved the cursor).
  caf::error set_refusal;
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

// What the writer's check of the target says.
caf::error verify_outcome(const script& s, const target_state& expected) {
  if (s.verify_unreachable)
    return unreachable();
  if (auto v = check_target(expected, s.target))
    return target_fault_error(v, "mock target");
  return {};
}

// The writer's interface plus `ok`, which answers the parked applies, probes
// and checks (a promise must be delivered from inside its actor). It keeps the
// target's state as Redis would and checks the expected state as the writer
// does.
using mock_writer_actor = target_writer_actor::extend<caf::reacts_to<ok_atom>>;

mock_writer_actor::behavior_type mock_writer(mock_writer_actor::pointer self,
                                             script_ptr s) {
  return {
      [self, s](apply_atom, const entry_batch& xs, const target_state& expected,
                uint64_t skipped) -> caf::result<apply_result> {
        auto answer = [&](apply_result r) -> caf::result<apply_result> {
          if (s->park_applies) {
            auto rp = self->make_response_promise<apply_result>();
            s->parked_applies.emplace_back(rp, std::move(r));
            return rp;
          }
          return r;
        };
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
        if (!s->apply_errors.empty()) {
          auto err = std::move(s->apply_errors.front());
          s->apply_errors.pop_front();
          if (err) {
            r.error = std::move(err);
            return answer(std::move(r));
          }
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
        return answer(std::move(r));
      },
      [self, s](probe_atom) -> caf::result<target_observation> {
        ++s->probes;
        if (s->park_probes) {
          auto rp = self->make_response_promise<target_observation>();
          s->parked_probes.push_back(rp);
          return rp;
        }
        if (s->probe_failures > 0) {
          --s->probe_failures;
          return unreachable();
        }
        return s->target;
      },
      [self, s](verify_atom,
                const target_state& expected) -> caf::result<ok_atom> {
        ++s->verifies;
        if (s->park_verifies) {
          auto rp = self->make_response_promise<ok_atom>();
          s->parked_verifies.emplace_back(rp, expected);
          return rp;
        }
        auto err = verify_outcome(*s, expected);
        if (err)
          return err;
        return ok_atom_v;
      },
      [s](ok_atom) {
        for (auto& [rp, r] : s->parked_applies)
          rp.deliver(r);
        s->parked_applies.clear();
        for (auto& rp : s->parked_probes) {
          if (s->probe_failures > 0) {
            --s->probe_failures;
            rp.deliver(unreachable());
          } else {
            rp.deliver(s->target);
          }
        }
        s->parked_probes.clear();
        for (auto& [rp, expected] : s->parked_verifies) {
          if (auto err = verify_outcome(*s, expected))
            rp.deliver(std::move(err));
          else
            rp.deliver(ok_atom_v);
        }
        s->parked_verifies.clear();
      },
  };
}

// What the store says to a set: nothing (it goes through), unavailable, or
// the scripted refusal.
caf::error set_outcome(script& s) {
  if (s.set_refusal)
    return s.set_refusal;
  auto down = s.store_down;
  if (!down && !s.set_outcomes.empty()) {
    down = !s.set_outcomes.front();
    s.set_outcomes.pop_front();
  }
  if (down)
    return caf::make_error(cursor::errc::unavailable, "mock: node down");
  ++s.store_sets;
  return {};
}

caf::expected<std::string> get_answer(const script& s,
                                      const std::string& peer) {
  if (s.get_error)
    return s.get_error;
  if (s.store_down)
    return caf::make_error(cursor::errc::unavailable, "mock: node down");
  if (s.get_text)
    return *s.get_text;
  auto i = s.cursors.find(peer);
  return i == s.cursors.end() ? std::string{"0"} : i->second;
}

// The store's interface plus `ok`, which answers the parked gets.
using mock_store_actor = store_api::extend<caf::reacts_to<ok_atom>>;

mock_store_actor::behavior_type mock_store(mock_store_actor::pointer self,
                                           script_ptr s) {
  auto parked_peers = std::make_shared<std::vector<std::string>>();
  return {
      [self, s, parked_peers](get_atom, start_atom, const std::string& peer)
          -> caf::result<std::string> {
        ++s->gets;
        if (s->park_gets) {
          auto rp = self->make_response_promise<std::string>();
          s->parked_gets.push_back(rp);
          parked_peers->push_back(peer);
          return rp;
        }
        auto x = get_answer(*s, peer);
        if (!x)
          return std::move(x.error());
        return std::move(*x);
      },
      [s](set_atom, const std::string& peer,
          const std::string& id) -> caf::result<ok_atom> {
        if (auto err = set_outcome(*s))
          return err;
        s->cursors[peer] = id;
        return ok_atom_v;
      },
      [s](set_atom, const std::vector<std::string>& peers,
          const std::vector<std::string>& ids) -> caf::result<ok_atom> {
        if (auto err = set_outcome(*s))
          return err;
        for (size_t i = 0; i < peers.size(); ++i)
          s->cursors[peers[i]] = ids[i];
        return ok_atom_v;
      },
      [](flush_atom) { return uint64_t{0}; },
      [s, parked_peers](ok_atom) {
        for (size_t i = 0; i < s->parked_gets.size(); ++i) {
          auto x = get_answer(*s, (*parked_peers)[i]);
          if (x)
            s->parked_gets[i].deliver(std::move(*x));
          else
            s->parked_gets[i].deliver(std::move(x.error()));
        }
        s->parked_gets.clear();
        parked_peers->clear();
      },
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
  mock_store_actor store;
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
    store = sys.spawn(mock_store, s);
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

  // Stops the pipeline and returns the position it answered (the test fails
  // when it answered an error or nothing yet).
  std::string stopped_at() {
    auto x = ask<std::string>(stop_atom_v);
    CAF_REQUIRE(*x);
    return **x;
  }

  // The fault the supervisor heard of (the test fails unless exactly one).
  caf::error fault() {
    CAF_REQUIRE_EQUAL(s->failures.size(), 1u);
    return s->failures[0].second;
  }

  // Whether a request asked with ask() is still unanswered.
  static bool pending(const std::shared_ptr<caf::expected<std::string>>& x) {
    return !*x && x->error() == caf::sec::none;
  }

  // Logs at info level into a buffer that lines() reads; before start().
  void capture_log() {
    sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
    sink->set_pattern("%l %v");
    log = std::make_shared<spdlog::logger>("tailer-test", sink);
    log->set_level(spdlog::level::info);
  }

  // How many logged lines contain `text`.
  size_t lines(const std::string& text) {
    size_t n = 0;
    for (auto& line : sink->last_formatted())
      if (line.find(text) != std::string::npos)
        ++n;
    return n;
  }

  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink;

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
  CAF_CHECK(is(fault(), tailer_errc::gap));
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
  CAF_CHECK(is(fault(), tailer_errc::target_behind));
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
  CAF_CHECK(is(fault(), tailer_errc::source_replaced));
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
  CAF_CHECK(is(fault(), tailer_errc::target_behind));
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
  CAF_CHECK(is(fault(), tailer_errc::target_foreign));
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
  CAF_CHECK_EQUAL(other.stopped_at(), "1-0");
}

CAF_TEST(a source gone after every entry was read stops the peer) {
  // Redis keeps nothing of a deleted key: entries added after the last read
  // (or a whole stream created and deleted between two reads) may have gone
  // with it.
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  s->reads.push_back(read_result{}); // no such key
  start();
  CAF_CHECK(is(fault(), tailer_errc::source_behind));
  CAF_CHECK_NOT_EQUAL(
      describe(s->failures[0].second).find("entries added after that read"),
      std::string::npos);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
  // So does a stream seen empty at position 0, then gone.
  fixture empty;
  empty.s->reads.push_back(entries({}, stream("", "0-0", 0, 0)));
  empty.s->reads.push_back(read_result{});
  empty.start();
  CAF_CHECK(is(empty.fault(), tailer_errc::source_behind));
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
  CAF_CHECK(is(fault(), tailer_errc::source_behind));
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
  CAF_CHECK(is(fault(), tailer_errc::source_behind));
  CAF_CHECK_NOT_EQUAL(describe(s->failures[0].second)
                          .find("while entries up to 5-0 were unread"),
                      std::string::npos);
}

CAF_TEST(a source gone at start up stops the peer that had copied from it) {
  s->cursors["uk.node.leeds-2"] = "5-0";
  s->target = target("5-0", 5);
  s->reads.push_back(read_result{});
  start();
  CAF_CHECK(is(fault(), tailer_errc::source_behind));
  CAF_CHECK_NOT_EQUAL(describe(s->failures[0].second).find("cannot tell"),
                      std::string::npos);
  // A new peer waits for its stream.
  fixture other;
  other.s->reads.push_back(read_result{});
  other.start();
  CAF_CHECK(other.s->failures.empty());
}

// -- every branch of peer_pipeline.cpp (the table at the top) ----------------

CAF_TEST(a stored cursor that is not a stream ID stops the peer) {
  s->get_text = "not-an-id";
  start();
  CAF_CHECK(cursor::is(fault(), cursor::errc::invalid_stream_id));
  CAF_CHECK_EQUAL(s->probes, 0u);
  CAF_CHECK(s->read_positions.empty());
  auto x = stats();
  CAF_CHECK(x.failed);
  // Not one of the model's faults (the store's, not the streams'): the
  // supervisor heard of it; the stop answers the position, nothing applied.
  CAF_CHECK_EQUAL(x.fault, "");
  CAF_CHECK_EQUAL(stopped_at(), "0");
}

CAF_TEST(a peer the store refuses to start stops without a retry) {
  for (auto code :
       {cursor::errc::invalid_peer_id, cursor::errc::invalid_stream_id,
        cursor::errc::regression}) {
    fixture f;
    f.s->get_error = caf::make_error(code, "mock: refused");
    f.start();
    CAF_REQUIRE_EQUAL(f.s->failures.size(), 1u);
    CAF_CHECK(cursor::is(f.s->failures[0].second, code));
    CAF_CHECK_EQUAL(f.advance_time(10s), 0u);
    f.drain();
    CAF_CHECK_EQUAL(f.s->gets, 1u);
    CAF_CHECK_EQUAL(f.s->probes, 0u);
  }
}

CAF_TEST(a store unavailable at start up is asked again with backoff) {
  s->store_down = true;
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  start();
  CAF_CHECK_EQUAL(s->gets, 1u);
  CAF_CHECK_EQUAL(s->probes, 0u);
  auto x = stats();
  CAF_CHECK(!x.store_up);
  CAF_CHECK_EQUAL(x.store_errors, 1u);
  CAF_CHECK_EQUAL(advance_time(99ms), 0u);
  CAF_CHECK_EQUAL(advance_time(1ms), 1u);
  drain();
  CAF_CHECK_EQUAL(s->gets, 2u);
  CAF_CHECK_EQUAL(s->probes, 0u);
  s->store_down = false;
  CAF_CHECK_EQUAL(advance_time(199ms), 0u);
  CAF_CHECK_EQUAL(advance_time(1ms), 1u);
  drain();
  CAF_CHECK_EQUAL(s->gets, 3u);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "1-0");
  x = stats();
  CAF_CHECK(x.store_up);
  CAF_CHECK_EQUAL(x.store_errors, 2u);
}

CAF_TEST(a stop while the store is unavailable at start up answers at once) {
  s->store_down = true;
  start();
  CAF_CHECK_EQUAL(stopped_at(), "0");
  // The retry that was scheduled finds the pipeline stopping: no more gets.
  CAF_CHECK_EQUAL(advance_time(100ms), 1u);
  drain();
  CAF_CHECK_EQUAL(s->gets, 1u);
  CAF_CHECK_EQUAL(s->probes, 0u);
}

CAF_TEST(a stop while the cursor is asked for answers at once and starts
           nothing) {
  s->park_gets = true;
  s->cursors["uk.node.leeds-2"] = "5-0";
  start();
  CAF_REQUIRE_EQUAL(s->parked_gets.size(), 1u);
  // Nothing is applied, nothing to record: the stop answers the position
  // the pipeline knows, none yet.
  CAF_CHECK_EQUAL(stopped_at(), "0");
  // The cursor comes after the stop: no probe, no read, no record.
  caf::anon_send(store, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(s->probes, 0u);
  CAF_CHECK(s->read_positions.empty());
  CAF_CHECK_EQUAL(s->store_sets, 0u);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "5-0");
  // The same with a store that fails then: nothing retried.
  fixture down;
  down.s->park_gets = true;
  down.start();
  CAF_CHECK_EQUAL(down.stopped_at(), "0");
  down.s->store_down = true;
  caf::anon_send(down.store, ok_atom_v);
  down.drain();
  CAF_CHECK_EQUAL(down.advance_time(10s), 0u);
  down.drain();
  CAF_CHECK_EQUAL(down.s->gets, 1u);
  CAF_CHECK_EQUAL(down.stats().store_errors, 1u);
}

CAF_TEST(a target unreachable at start up is probed again with backoff) {
  s->probe_failures = 2;
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  start();
  CAF_CHECK_EQUAL(s->probes, 1u);
  CAF_CHECK(s->read_positions.empty());
  CAF_CHECK(!stats().target_up);
  for (auto delay : {100ms, 200ms}) {
    CAF_CHECK_EQUAL(advance_time(delay - 1ms), 0u);
    CAF_CHECK_EQUAL(advance_time(1ms), 1u);
    drain();
  }
  CAF_CHECK_EQUAL(s->probes, 3u);
  auto x = stats();
  CAF_CHECK(x.target_up);
  CAF_CHECK_EQUAL(x.target_errors, 2u);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "1-0");
}

CAF_TEST(a stop while the target is probed answers at once and starts nothing) {
  s->cursors["uk.node.leeds-2"] = "2-0";
  s->target = target("2-0", 2);
  s->park_probes = true;
  start();
  CAF_REQUIRE_EQUAL(s->parked_probes.size(), 1u);
  // Never taken over, the target is not checked at the stop.
  CAF_CHECK_EQUAL(stopped_at(), "2-0");
  caf::anon_send(writer, ok_atom_v);
  drain();
  CAF_CHECK(s->read_positions.empty());
  CAF_CHECK_EQUAL(s->verifies, 0u);
  CAF_CHECK(stats().target_up);
  // A probe that fails after the stop: not retried.
  fixture down;
  down.s->park_probes = true;
  down.s->probe_failures = 1;
  down.start();
  CAF_CHECK_EQUAL(down.stopped_at(), "0");
  caf::anon_send(down.writer, ok_atom_v);
  down.drain();
  CAF_CHECK_EQUAL(down.advance_time(10s), 0u);
  down.drain();
  CAF_CHECK_EQUAL(down.s->probes, 1u);
  CAF_CHECK_EQUAL(down.stats().target_errors, 1u);
  // A probe that failed before the stop: its retry finds the pipeline
  // stopping and probes no more.
  fixture late;
  late.s->probe_failures = 1;
  late.start();
  CAF_CHECK_EQUAL(late.stopped_at(), "0");
  CAF_CHECK_EQUAL(late.advance_time(100ms), 1u);
  late.drain();
  CAF_CHECK_EQUAL(late.s->probes, 1u);
}

CAF_TEST(
    an apply that fails before writing is probed and its batch read again) {
  s->apply_errors.push_back(unreachable());
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  start();
  CAF_CHECK(s->applied.empty());
  CAF_CHECK(s->cursors.empty());
  CAF_CHECK(!stats().target_up);
  CAF_CHECK_EQUAL(advance_time(100ms), 1u);
  drain();
  // The target is as the tailer left it (the batch did not go through).
  CAF_CHECK_EQUAL(s->probes, 2u);
  CAF_CHECK(s->failures.empty());
  // The read that waited since before the failure is stale: dropped; the
  // batch is read again from the applied position.
  s->reads.push_back(
      entries({"1-0", "2-0", "3-0"}, stream("1-0", "3-0", 3, 3)));
  s->reads.push_back(
      entries({"1-0", "2-0", "3-0"}, stream("1-0", "3-0", 3, 3)));
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(s->read_positions,
                  (std::vector<std::string>{"0", "2-0", "0", "3-0"}));
  CAF_REQUIRE_EQUAL(s->applied.size(), 1u);
  CAF_CHECK_EQUAL(s->applied[0].size(), 3u);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "3-0");
  CAF_CHECK(stats().target_up);
  CAF_CHECK(s->failures.empty());
}

CAF_TEST(an apply unanswered within its timeout is settled by the probe) {
  opts.apply_timeout = 1s;
  s->park_applies = true;
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  start();
  CAF_REQUIRE_EQUAL(s->parked_applies.size(), 1u);
  // The writer is still at it (the mock wrote the batch, its answer waits).
  advance_time(1s);
  drain();
  CAF_CHECK(!stats().target_up);
  CAF_CHECK(s->cursors.empty());
  CAF_CHECK_EQUAL(advance_time(100ms), 1u);
  drain();
  // The probe finds the state the batch left: taken, recorded.
  CAF_CHECK(s->failures.empty());
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
  auto x = stats();
  CAF_CHECK(x.target_up);
  CAF_CHECK_EQUAL(x.applied_id, "2-0");
}

CAF_TEST(a target changed between a lost answer and the probe stops the peer) {
  s->lose_answers = 1;
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  start();
  CAF_CHECK(s->cursors.empty());
  // Someone trims the target before the probe: neither the state before the
  // batch nor the one after it.
  s->target.state.length = 1;
  CAF_CHECK_EQUAL(advance_time(100ms), 1u);
  drain();
  CAF_REQUIRE_EQUAL(s->failures.size(), 1u);
  // Named against the state the tailer knows for sure (no stream yet).
  CAF_CHECK(is(s->failures[0].second, tailer_errc::target_foreign));
  CAF_CHECK(s->cursors.empty());
}

CAF_TEST(a target unreachable for the idle check is probed and the peer goes on) {
  s->verify_unreachable = true;
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  s->reads.push_back(entries({}, stream("1-0", "1-0", 1, 1)));
  start();
  CAF_CHECK_EQUAL(s->verifies, 1u);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "1-0");
  CAF_CHECK(!stats().target_up);
  s->verify_unreachable = false;
  CAF_CHECK_EQUAL(advance_time(100ms), 1u);
  drain();
  CAF_CHECK_EQUAL(s->probes, 2u);
  CAF_CHECK(s->failures.empty());
  CAF_CHECK(stats().target_up);
  // The stale read is dropped; the next one goes on from 1-0.
  s->reads.push_back(entries({"2-0"}, stream("1-0", "2-0", 2, 2)));
  s->reads.push_back(entries({"2-0"}, stream("1-0", "2-0", 2, 2)));
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
  CAF_CHECK_EQUAL(stats().target_errors, 1u);
}

CAF_TEST(an idle check that fails after the peer stopped for good changes nothing) {
  s->park_verifies = true;
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  s->reads.push_back(entries({}, stream("1-0", "1-0", 1, 1)));
  start();
  CAF_REQUIRE_EQUAL(s->parked_verifies.size(), 1u);
  // While the check waits, the next read finds entries after 1-0 trimmed.
  s->reads.push_back(entries({"4-0"}, stream("4-0", "4-0", 4, 1)));
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_CHECK(is(fault(), tailer_errc::gap));
  // Then the check fails: no probe, no retry, the fault stays the gap.
  s->verify_unreachable = true;
  caf::anon_send(writer, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(advance_time(10s), 0u);
  drain();
  CAF_CHECK_EQUAL(s->probes, 1u);
  CAF_CHECK_EQUAL(stats().fault, "gap");
  // Or it finds a fault of its own: the first fault stays the peer's.
  fixture both;
  both.s->park_verifies = true;
  both.s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  both.s->reads.push_back(entries({}, stream("1-0", "1-0", 1, 1)));
  both.start();
  both.s->reads.push_back(entries({"4-0"}, stream("4-0", "4-0", 4, 1)));
  caf::anon_send(both.reader, ok_atom_v);
  both.drain();
  both.s->target = target_observation{};
  caf::anon_send(both.writer, ok_atom_v);
  both.drain();
  CAF_CHECK_EQUAL(both.s->failures.size(), 1u);
  CAF_CHECK_EQUAL(both.stats().fault, "gap");
}

CAF_TEST(a stop during the idle check waits for it and checks once more) {
  s->park_verifies = true;
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  s->reads.push_back(entries({}, stream("1-0", "1-0", 1, 1)));
  start();
  CAF_REQUIRE_EQUAL(s->parked_verifies.size(), 1u);
  auto stopped = ask<std::string>(stop_atom_v);
  CAF_CHECK(pending(stopped));
  s->park_verifies = false;
  caf::anon_send(writer, ok_atom_v);
  drain();
  CAF_REQUIRE(*stopped);
  CAF_CHECK_EQUAL(**stopped, "1-0");
  CAF_CHECK_EQUAL(s->verifies, 2u);
}

CAF_TEST(an apply failing while the peer stops is not retried) {
  s->park_applies = true;
  s->apply_errors.push_back(unreachable());
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  start();
  CAF_REQUIRE_EQUAL(s->parked_applies.size(), 1u);
  auto stopped = ask<std::string>(stop_atom_v);
  CAF_CHECK(pending(stopped));
  caf::anon_send(writer, ok_atom_v);
  drain();
  // Nothing was applied; the target is checked once more (as left).
  CAF_REQUIRE(*stopped);
  CAF_CHECK_EQUAL(**stopped, "0");
  CAF_CHECK_EQUAL(s->verifies, 1u);
  CAF_CHECK_EQUAL(advance_time(10s), 0u);
  drain();
  CAF_CHECK_EQUAL(s->probes, 1u);
}

CAF_TEST(a source without the counters of Redis 7 stops the peer unless gaps are
             allowed) {
  auto old = [](stream_info x) {
    x.has_max_deleted = x.has_entries_added = false;
    x.max_deleted_id.clear();
    x.entries_added = 0;
    return x;
  };
  s->reads.push_back(entries({"1-0"}, old(stream("1-0", "1-0", 1, 1))));
  start();
  CAF_CHECK(is(fault(), tailer_errc::no_gap_detection));
  CAF_CHECK(s->applied.empty());
  // With allow-gaps it copies (warned once), but a stream that ends before
  // the position still stops the peer.
  fixture gaps;
  gaps.opts.allow_gaps = true;
  gaps.capture_log();
  gaps.s->reads.push_back(
      entries({"1-0", "2-0"}, old(stream("1-0", "2-0", 2, 2))));
  gaps.s->reads.push_back(entries({}, old(stream("1-0", "2-0", 2, 2))));
  gaps.s->reads.push_back(entries({}, old(stream("1-0", "1-0", 1, 1))));
  gaps.start();
  CAF_CHECK_EQUAL(gaps.s->applied.size(), 1u);
  CAF_CHECK_EQUAL(gaps.lines("gaps cannot be detected"), 1u);
  CAF_CHECK(is(gaps.fault(), tailer_errc::source_behind));
  CAF_CHECK_EQUAL(gaps.s->cursors.at("uk.node.leeds-2"), "2-0");
}

CAF_TEST(a reply that is not a stream ID stops the peer as a protocol error) {
  auto one = [] { return entries({"1-0"}, stream("1-0", "1-0", 1, 1)); };
  std::vector<read_result> replies;
  replies.push_back(one());
  replies.back().info.last_generated_id = "last";
  replies.push_back(one());
  replies.back().info.max_deleted_id = "deleted";
  replies.push_back(one());
  replies.back().info.first_entry_id = "first";
  replies.push_back(entries({"x", "2-0"}, stream("1-0", "2-0", 2, 2)));
  replies.push_back(entries({"1-0", "x"}, stream("1-0", "2-0", 2, 2)));
  for (auto& reply : replies) {
    fixture f;
    f.s->reads.push_back(reply);
    f.start();
    CAF_REQUIRE_EQUAL(f.s->failures.size(), 1u);
    CAF_CHECK(is(f.s->failures[0].second, tailer_errc::redis_protocol));
    CAF_CHECK(f.s->applied.empty());
  }
  // An entry above the position among entries read again.
  s->cursors["uk.node.leeds-2"] = "1-0";
  s->target = target("3-0", 3);
  s->reads.push_back(entries({"2-0", "x", "4-0"}, stream("1-0", "4-0", 4, 4)));
  start();
  CAF_CHECK(is(fault(), tailer_errc::redis_protocol));
  // The last entry of a read without the counters (allow-gaps).
  fixture old;
  old.opts.allow_gaps = true;
  auto r = entries({"1-0", "x"}, stream("1-0", "2-0", 2, 2));
  r.info.has_max_deleted = r.info.has_entries_added = false;
  old.s->reads.push_back(r);
  old.start();
  CAF_CHECK(is(old.fault(), tailer_errc::redis_protocol));
}

CAF_TEST(with allow gaps an XDEL past the cursor is reported once though read
             again) {
  opts.allow_gaps = true;
  capture_log();
  s->cursors["uk.node.leeds-2"] = "2-0";
  s->target = target("2-0", 2);
  // 3-0 was deleted (XDEL) before the tailer read it.
  auto deleted
      = [] { return entries({"4-0"}, stream("1-0", "4-0", 4, 3, "3-0")); };
  s->reads.push_back(deleted());
  s->apply_errors.push_back(unreachable());
  start();
  CAF_CHECK_EQUAL(stats().gaps, 1u);
  CAF_CHECK_EQUAL(lines("continuing after it"), 1u);
  CAF_CHECK(s->applied.empty());
  // The apply failed: after the probe the batch is read again, and the
  // deletion seen again is not a second gap.
  CAF_CHECK_EQUAL(advance_time(100ms), 1u);
  drain();
  s->reads.push_back(deleted()); // the stale read's
  s->reads.push_back(deleted()); // read again from 2-0
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_CHECK(s->failures.empty());
  CAF_REQUIRE_EQUAL(s->applied.size(), 1u);
  CAF_CHECK_EQUAL(s->applied[0], (std::vector<std::string>{"4-0"}));
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "4-0");
  CAF_CHECK_EQUAL(stats().gaps, 1u);
  CAF_CHECK_EQUAL(lines("continuing after it"), 1u);
}

CAF_TEST(with allow gaps a source behind the position still stops the peer) {
  opts.allow_gaps = true;
  s->cursors["uk.node.leeds-2"] = "5-0";
  s->target = target("5-0", 5);
  s->reads.push_back(entries({}, stream("1-0", "3-0", 3, 3)));
  start();
  CAF_CHECK(is(fault(), tailer_errc::source_behind));
}

CAF_TEST(a source trimmed exactly to the position is refused unless gaps are
             allowed) {
  // The target (and the source's count) end at 10-0; every entry up to it
  // was trimmed, then 3 came: a trim ending at the position, or a recreated
  // stream.
  auto trimmed = [] {
    return entries({"11-0", "12-0", "13-0"}, stream("11-0", "13-0", 13, 3));
  };
  s->cursors["uk.node.leeds-2"] = "10-0";
  s->target = target("10-0", 10);
  s->reads.push_back(trimmed());
  start();
  CAF_CHECK(is(fault(), tailer_errc::source_ambiguous));
  CAF_CHECK(s->applied.empty());
  // With allow-gaps: reported, copied on, not counted as a gap.
  fixture gaps;
  gaps.opts.allow_gaps = true;
  gaps.capture_log();
  gaps.s->cursors["uk.node.leeds-2"] = "10-0";
  gaps.s->target = target("10-0", 10);
  gaps.s->reads.push_back(trimmed());
  gaps.start();
  CAF_CHECK(gaps.s->failures.empty());
  CAF_CHECK_EQUAL(gaps.s->cursors.at("uk.node.leeds-2"), "13-0");
  CAF_CHECK_EQUAL(gaps.lines("source_ambiguous"), 1u);
  CAF_CHECK_EQUAL(gaps.stats().gaps, 0u);
  // So is the issue's recreated source.
  fixture replaced;
  replaced.opts.allow_gaps = true;
  replaced.capture_log();
  replaced.s->cursors["uk.node.leeds-2"] = "100-0";
  replaced.s->target = target("100-0", 100);
  replaced.s->reads.push_back(
      entries({"1000-0", "1001-0"}, stream("1000-0", "1001-0", 2, 2)));
  replaced.start();
  CAF_CHECK(replaced.s->failures.empty());
  CAF_CHECK_EQUAL(replaced.lines("source_replaced"), 1u);
  CAF_CHECK_EQUAL(replaced.s->cursors.at("uk.node.leeds-2"), "1001-0");
}

CAF_TEST(a read answered after the stop is dropped) {
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  start();
  CAF_CHECK_EQUAL(stopped_at(), "1-0");
  s->reads.push_back(entries({"2-0"}, stream("1-0", "2-0", 2, 2)));
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(s->applied.size(), 1u);
  // A read failing after the stop is not retried.
  fixture f;
  f.start();
  auto also = f.ask<std::string>(stop_atom_v);
  CAF_REQUIRE(*also);
  f.s->reads.push_back(unreachable());
  caf::anon_send(f.reader, ok_atom_v);
  f.drain();
  CAF_CHECK_EQUAL(f.advance_time(10s), 0u);
  CAF_CHECK(f.stats().source_up);
  CAF_CHECK_EQUAL(f.s->read_positions.size(), 1u);
}

CAF_TEST(a record the store refuses stops the peer and the stop answers why) {
  s->set_refusal
      = caf::make_error(cursor::errc::regression, "mock: the cursor is at 9-0");
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  start();
  CAF_CHECK(cursor::is(fault(), cursor::errc::regression));
  auto x = stats();
  CAF_CHECK(x.failed);
  CAF_CHECK_EQUAL(x.fault, "");
  // Not retried.
  CAF_CHECK_EQUAL(advance_time(10s), 0u);
  drain();
  auto stopped = ask<std::string>(stop_atom_v);
  CAF_REQUIRE(!*stopped);
  CAF_CHECK(cursor::is(stopped->error(), cursor::errc::regression));
  CAF_CHECK(s->cursors.empty());
}

CAF_TEST(a stop waits for a store that is down to record the last position) {
  s->set_outcomes = {false, false};
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  start();
  CAF_CHECK(s->cursors.empty());
  auto stopped = ask<std::string>(stop_atom_v);
  CAF_CHECK(pending(stopped));
  // The retry meets the store down again.
  CAF_CHECK_EQUAL(advance_time(100ms), 1u);
  drain();
  CAF_CHECK(pending(stopped));
  CAF_CHECK_EQUAL(advance_time(199ms), 0u);
  CAF_CHECK_EQUAL(advance_time(1ms), 1u);
  drain();
  CAF_REQUIRE(*stopped);
  CAF_CHECK_EQUAL(**stopped, "2-0");
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
}

CAF_TEST(every stop request is answered when the pipeline stops) {
  s->park_applies = true;
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  start();
  auto first = ask<std::string>(stop_atom_v);
  auto second = ask<std::string>(stop_atom_v);
  CAF_CHECK(pending(first));
  CAF_CHECK(pending(second));
  caf::anon_send(writer, ok_atom_v);
  drain();
  CAF_REQUIRE(*first);
  CAF_REQUIRE(*second);
  CAF_CHECK_EQUAL(**first, "2-0");
  CAF_CHECK_EQUAL(**second, "2-0");
}

CAF_TEST(retry messages with a stale or forged token do nothing) {
  s->reads.push_back(unreachable());
  start();
  CAF_CHECK_EQUAL(s->read_positions.size(), 1u);
  // Tokens are odd: 2 is never one; 0 means none.
  caf::anon_send(pipeline, retry_atom_v, uint64_t{0});
  caf::anon_send(pipeline, retry_atom_v, uint64_t{2});
  drain();
  CAF_CHECK_EQUAL(s->read_positions.size(), 1u);
  CAF_CHECK_EQUAL(s->gets, 1u);
  CAF_CHECK_EQUAL(s->probes, 1u);
  // The scheduled one reads again.
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  CAF_CHECK_EQUAL(advance_time(100ms), 1u);
  drain();
  CAF_CHECK_EQUAL(s->read_positions,
                  (std::vector<std::string>{"0", "0", "1-0"}));
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "1-0");
}

CAF_TEST(a stray error message does not end the pipeline) {
  start();
  caf::anon_send(caf::actor_cast<caf::actor>(pipeline),
                 caf::make_error(tailer_errc::gap, "forged"));
  drain();
  auto x = stats();
  CAF_CHECK(!x.failed);
  CAF_CHECK(s->failures.empty());
}

CAF_TEST(the reader and the writer end with the pipeline) {
  start();
  auto downs = std::make_shared<int>(0);
  auto watcher = sys.spawn(
      [=](caf::event_based_actor* self, int) -> caf::behavior {
        self->monitor(reader);
        self->monitor(writer);
        self->set_down_handler([=](caf::down_msg&) { ++*downs; });
        return {[](int) {}};
      },
      0);
  drain();
  CAF_CHECK_EQUAL(*downs, 0);
  caf::anon_send_exit(pipeline, caf::exit_reason::user_shutdown);
  drain();
  CAF_CHECK_EQUAL(*downs, 2);
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
}

CAF_TEST(entries read again over several batches are compared up to the end of
             the target) {
  opts.batch_size = 2;
  s->cursors["uk.node.leeds-2"] = "1-0";
  s->target = target("5-0", 5);
  s->reads.push_back(entries({"2-0", "3-0"}, stream("1-0", "6-0", 6, 6)));
  s->reads.push_back(entries({"4-0", "5-0"}, stream("1-0", "6-0", 6, 6)));
  s->reads.push_back(entries({"6-0"}, stream("1-0", "6-0", 6, 6)));
  start();
  CAF_REQUIRE(s->failures.empty());
  auto x = stats();
  CAF_CHECK_EQUAL(x.duplicates, 4u);
  CAF_CHECK_EQUAL(x.applied, 1u);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "6-0");
}

CAF_TEST(a failure is logged once per change of state and its end once) {
  capture_log();
  for (int i = 0; i < 3; ++i)
    s->reads.push_back(unreachable());
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  start();
  for (auto delay : {100ms, 200ms, 400ms}) {
    CAF_CHECK_EQUAL(advance_time(delay), 1u);
    drain();
  }
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "1-0");
  CAF_CHECK_EQUAL(lines("source mock source unavailable"), 1u);
  CAF_CHECK_EQUAL(lines("source mock source available again after 3 failed"),
                  1u);
  // The store: `unavailable` is the link's to log; a timeout the pipeline's.
  fixture quiet;
  quiet.capture_log();
  quiet.s->store_down = true;
  quiet.start();
  quiet.s->store_down = false;
  CAF_CHECK_EQUAL(quiet.advance_time(100ms), 1u);
  quiet.drain();
  CAF_CHECK_EQUAL(quiet.s->gets, 2u);
  CAF_CHECK_EQUAL(quiet.lines("cursor store"), 0u);
  fixture loud;
  loud.capture_log();
  loud.s->get_error = caf::make_error(cursor::errc::timeout, "mock: slow");
  loud.start();
  loud.s->get_error = caf::error{};
  CAF_CHECK_EQUAL(loud.advance_time(100ms), 1u);
  loud.drain();
  CAF_CHECK_EQUAL(loud.lines("cursor store unavailable"), 1u);
  CAF_CHECK_EQUAL(loud.lines("cursor store available again after 1 failed"),
                  1u);
}

CAF_TEST(the lag is how many milliseconds the applied ID is behind the last) {
  opts.batch_size = 2;
  s->reads.push_back(entries({"1-0", "1-1"}, stream("1-0", "1-2", 3, 3)));
  start();
  // 1-1 applied, the source ends at 1-2: behind, but not by a millisecond.
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "1-1");
  CAF_CHECK_EQUAL(stats().lag_ms, 0u);
  // The next read (waiting) returns the next 2 entries of a stream that
  // ends at 9-0 now.
  s->reads.push_back(entries({"1-2", "5-0"}, stream("1-0", "9-0", 5, 5)));
  caf::anon_send(reader, ok_atom_v);
  drain();
  CAF_CHECK(s->failures.empty());
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "5-0");
  CAF_CHECK_EQUAL(stats().lag_ms, 4u);
}

CAF_TEST(a target changed while the idle check could not reach it stops the peer
             at the reconnection) {
  s->verify_unreachable = true;
  s->reads.push_back(entries({"1-0", "2-0"}, stream("1-0", "2-0", 2, 2)));
  s->reads.push_back(entries({}, stream("1-0", "2-0", 2, 2)));
  start();
  CAF_CHECK(!stats().target_up);
  // Trimmed meanwhile.
  s->target.state.length = 1;
  CAF_CHECK_EQUAL(advance_time(100ms), 1u);
  drain();
  CAF_CHECK(is(fault(), tailer_errc::target_removed));
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
}

CAF_TEST(a probe answered after the peer stopped for good starts nothing) {
  // The second batch fails to apply (a probe is due in 100 ms) while the
  // record of the first meets an unavailable store (a retry in 100 ms); the
  // retried record is refused while the probe is out.
  auto run = [](fixture& f, bool probe_fails) {
    f.s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
    f.s->reads.push_back(entries({"2-0"}, stream("1-0", "2-0", 2, 2)));
    f.s->apply_errors = {caf::error{}, unreachable()};
    f.s->set_outcomes = {false};
    f.start();
    CAF_CHECK(!f.stats().target_up);
    CAF_CHECK(!f.stats().store_up);
    f.s->set_refusal = caf::make_error(cursor::errc::regression, "mock");
    f.s->park_probes = true;
    CAF_CHECK_EQUAL(f.advance_time(100ms), 2u);
    f.drain();
    CAF_REQUIRE_EQUAL(f.s->parked_probes.size(), 1u);
    CAF_REQUIRE_EQUAL(f.s->failures.size(), 1u);
    CAF_CHECK(cursor::is(f.s->failures[0].second, cursor::errc::regression));
    auto reads = f.s->read_positions.size();
    f.s->probe_failures = probe_fails ? 1 : 0;
    caf::anon_send(f.writer, ok_atom_v);
    f.drain();
    CAF_CHECK_EQUAL(f.advance_time(10s), 0u);
    f.drain();
    CAF_CHECK_EQUAL(f.s->probes, 2u);
    CAF_CHECK_EQUAL(f.s->read_positions.size(), reads);
    CAF_CHECK_EQUAL(f.stats().target_up, !probe_fails);
  };
  run(*this, false);
  fixture fails;
  run(fails, true);
  // Refused before the probe was due: the retry probes nothing.
  fixture early;
  early.s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  early.s->reads.push_back(entries({"2-0"}, stream("1-0", "2-0", 2, 2)));
  early.s->apply_errors = {caf::error{}, unreachable()};
  early.s->set_refusal = caf::make_error(cursor::errc::regression, "mock");
  early.start();
  CAF_REQUIRE_EQUAL(early.s->failures.size(), 1u);
  CAF_CHECK_EQUAL(early.advance_time(100ms), 1u);
  early.drain();
  CAF_CHECK_EQUAL(early.s->probes, 1u);
}

CAF_TEST(a new peer whose stream was seen and then holds another type stops) {
  read_result other_type;
  other_type.wrong_type = true;
  s->reads.push_back(entries({}, stream("", "0-0", 0, 0)));
  s->reads.push_back(other_type);
  start();
  CAF_CHECK(is(fault(), tailer_errc::source_behind));
  CAF_CHECK_NOT_EQUAL(describe(s->failures[0].second).find("WRONGTYPE"),
                      std::string::npos);
}

CAF_TEST(reads that find nothing start one check of the target at a time) {
  // While a batch is applied.
  s->park_applies = true;
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  s->reads.push_back(entries({}, stream("1-0", "1-0", 1, 1)));
  start();
  CAF_CHECK_EQUAL(s->verifies, 0u);
  // While a check is out, for a stream and for a missing one.
  fixture idle;
  idle.s->park_verifies = true;
  idle.s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  idle.s->reads.push_back(entries({}, stream("1-0", "1-0", 1, 1)));
  idle.s->reads.push_back(entries({}, stream("1-0", "1-0", 1, 1)));
  idle.start();
  CAF_CHECK_EQUAL(idle.s->verifies, 1u);
  CAF_CHECK_EQUAL(idle.s->read_positions.size(), 4u);
  fixture missing;
  missing.s->park_verifies = true;
  missing.s->reads.push_back(read_result{});
  missing.s->reads.push_back(read_result{});
  missing.start();
  CAF_CHECK_EQUAL(missing.s->verifies, 1u);
  CAF_CHECK_EQUAL(missing.s->read_positions.size(), 3u);
  CAF_CHECK(missing.s->failures.empty());
}

CAF_TEST(a source missing either counter cannot be checked) {
  auto info = stream("1-0", "1-0", 1, 1);
  info.has_entries_added = false;
  s->reads.push_back(entries({"1-0"}, info));
  start();
  CAF_CHECK(is(fault(), tailer_errc::no_gap_detection));
}

CAF_TEST(an apply failing after the peer stopped for good is not retried) {
  s->park_applies = true;
  s->apply_errors.push_back(unreachable());
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  // Read while the batch is applied: 2-0 and 3-0 trimmed before it.
  s->reads.push_back(entries({"4-0"}, stream("4-0", "4-0", 4, 1)));
  start();
  CAF_CHECK(is(fault(), tailer_errc::gap));
  caf::anon_send(writer, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(advance_time(10s), 0u);
  drain();
  CAF_CHECK_EQUAL(s->probes, 1u);
  CAF_CHECK_EQUAL(stats().fault, "gap");
}

CAF_TEST(
    a record answered during the backoff of the source does not read early) {
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  s->reads.push_back(unreachable());
  s->reads.push_back(entries({"2-0"}, stream("1-0", "2-0", 2, 2)));
  start();
  // The record of 1-0 came back after the read failed.
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "1-0");
  CAF_CHECK_EQUAL(s->read_positions.size(), 2u);
  CAF_CHECK_EQUAL(advance_time(99ms), 0u);
  drain();
  CAF_CHECK_EQUAL(s->read_positions.size(), 2u);
  CAF_CHECK_EQUAL(advance_time(1ms), 1u);
  drain();
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "2-0");
}

CAF_TEST(a batch read while another is applied waits and nothing more is read) {
  s->park_applies = true;
  s->reads.push_back(entries({"1-0"}, stream("1-0", "1-0", 1, 1)));
  s->reads.push_back(entries({"2-0"}, stream("1-0", "2-0", 2, 2)));
  s->reads.push_back(entries({"3-0"}, stream("1-0", "3-0", 3, 3)));
  start();
  // One batch applied, one waiting, no third read.
  CAF_CHECK_EQUAL(s->parked_applies.size(), 1u);
  CAF_CHECK_EQUAL(s->read_positions, (std::vector<std::string>{"0", "1-0"}));
  caf::anon_send(writer, ok_atom_v);
  drain();
  // The waiting batch goes to the writer, the next read out.
  CAF_CHECK_EQUAL(s->parked_applies.size(), 1u);
  CAF_CHECK_EQUAL(s->read_positions,
                  (std::vector<std::string>{"0", "1-0", "2-0"}));
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "1-0");
  s->park_applies = false;
  caf::anon_send(writer, ok_atom_v);
  drain();
  CAF_CHECK_EQUAL(s->applied.size(), 3u);
  CAF_CHECK_EQUAL(s->cursors.at("uk.node.leeds-2"), "3-0");
}

CAF_TEST_FIXTURE_SCOPE_END()
