// Random operations against a std::map model, with the writer failing at
// random (busy, I/O errors) and writes held at random: afterwards memory, the
// model and the disk agree, and no acknowledged flush was lost. The same kind
// of operations run against the cursor table directly as well.

#define CAF_SUITE cursor_model

#include "test.hpp"

#include <random>

#include "cursor_table.hpp"

using namespace cursor;
using namespace std::chrono_literals;
using test::store_fixture;

namespace {

using model_map = std::map<std::string, stream_id>;

// The model of every set: a batch is the sequence of single sets, all or
// nothing. Applies entries to `model` in order (a conditional entry, with
// `expected`, applies only where the model holds exactly that state; a
// plain one refuses a lower value unless `force`); at the first refusal it
// leaves `model` as it was and returns the entry's index and why.
std::pair<size_t, set_outcome>
apply_batch(model_map& model, const std::vector<std::string>& peers,
            const std::vector<stream_id>& ids, bool force,
            const std::vector<expected_value>* expected = nullptr) {
  auto next = model;
  for (size_t k = 0; k < peers.size(); ++k) {
    auto i = next.find(peers[k]);
    if (expected != nullptr) {
      auto& want = (*expected)[k];
      bool met = i == next.end() ? !want.has_value()
                                 : want.has_value() && *want == i->second;
      if (!met)
        return {k, set_outcome::conflict};
    }
    if (i != next.end() && !force && ids[k] < i->second)
      return {k, set_outcome::regression};
    next[peers[k]] = ids[k];
  }
  model = std::move(next);
  return {peers.size(), set_outcome::changed};
}

// A random batch over a few peers (so repeats are common), with values
// around the model's: forwards, equal, backwards.
template <class Pick, class Name>
void random_batch(Pick& pick, const model_map& model,
                  std::vector<std::string>& peers, std::vector<stream_id>& ids,
                  Name name, int peer_count) {
  peers.clear();
  ids.clear();
  auto n = 1 + pick(6);
  auto base = pick(peer_count);
  for (int k = 0; k < n; ++k) {
    auto peer = name((base + pick(3)) % peer_count);
    auto i = model.find(peer);
    uint64_t ms = i == model.end() ? 2 : std::max<uint64_t>(i->second.ms, 1);
    peers.push_back(peer);
    ids.push_back(stream_id{ms + static_cast<uint64_t>(pick(3)) - 1,
                            static_cast<uint64_t>(pick(3))});
  }
}

// What a planning client expects for each entry: mostly the model's state
// (what it read), sometimes a stale one (the peer moved, appeared or was
// deleted since): another value or no cursor.
template <class Pick>
std::vector<expected_value>
random_expectations(Pick& pick, const model_map& model,
                    const std::vector<std::string>& peers,
                    const std::vector<stream_id>& ids) {
  std::vector<expected_value> result;
  auto now = model;
  for (size_t k = 0; k < peers.size(); ++k) {
    // A planner expects, for a peer it sets twice, its own first value.
    auto i = now.find(peers[k]);
    expected_value want;
    if (i != now.end())
      want = i->second;
    now[peers[k]] = ids[k];
    switch (pick(8)) {
      case 0:
        want = std::nullopt;
        break;
      case 1:
        want = stream_id{static_cast<uint64_t>(pick(4)), 0};
        break;
      default:
        break;
    }
    result.push_back(want);
  }
  return result;
}

std::string text_of(const expected_value& x) {
  return x ? x->to_string() : std::string{};
}

std::vector<std::string> to_strings(const std::vector<expected_value>& xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    result.push_back(text_of(x));
  return result;
}

std::vector<std::string> to_strings(const std::vector<stream_id>& ids) {
  std::vector<std::string> result;
  for (auto& x : ids)
    result.push_back(x.to_string());
  return result;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cursor_model_tests, store_fixture)

CAF_TEST(random operations keep memory disk and the model equal) {
  std::mt19937 rng{20261125};
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  std::map<std::string, stream_id> model;
  // What an acknowledged flush promised: each peer's value at the time the
  // flush was requested (or a later one), unless deleted since.
  struct pending_flush {
    test::reply<uint64_t> r;
    std::map<std::string, stream_id> snapshot;
    std::map<std::string, int> backwards;
  };
  std::vector<pending_flush> flushes;
  // Deletes and forced sets per peer: they may legitimately undo what an
  // earlier flush wrote, so such peers are skipped by the durability check.
  std::map<std::string, int> backwards;
  std::vector<std::pair<test::reply<bool>, std::string>> deletes;
  size_t acknowledged = 0;
  std::vector<std::string> batch_peers;
  std::vector<stream_id> batch_ids;
  size_t batches_refused = 0;
  size_t batches_applied = 0;
  size_t conflicts = 0;
  size_t conditional_singles = 0;
  for (int step = 0; step < 6000; ++step) {
    auto peer = "peer-" + std::to_string(pick(40));
    switch (pick(14)) {
      case 10:
      case 11:
      case 12:
      case 13: { // batched set, plain or forced, conditional or not (a
                 // single conditional set is a batch of one), against the
                 // sequence model
        bool force = pick(3) == 0;
        bool conditional = pick(2) == 0;
        random_batch(
            pick, model, batch_peers, batch_ids,
            [](int i) { return "peer-" + std::to_string(i); }, 40);
        auto wants = random_expectations(pick, model, batch_peers, batch_ids);
        auto [refused, why] = apply_batch(model, batch_peers, batch_ids, force,
                                          conditional ? &wants : nullptr);
        auto texts = to_strings(batch_ids);
        auto want_texts = to_strings(wants);
        test::reply<ok_atom> r;
        if (conditional && batch_peers.size() == 1) {
          ++conditional_singles;
          r = force ? ask<ok_atom>(set_atom_v, expect_atom_v, force_atom_v,
                                   batch_peers[0], want_texts[0], texts[0])
                    : ask<ok_atom>(set_atom_v, expect_atom_v, batch_peers[0],
                                   want_texts[0], texts[0]);
        } else if (conditional) {
          r = force ? ask<ok_atom>(set_atom_v, expect_atom_v, force_atom_v,
                                   batch_peers, want_texts, texts)
                    : ask<ok_atom>(set_atom_v, expect_atom_v, batch_peers,
                                   want_texts, texts);
        } else {
          r = force ? ask<ok_atom>(set_atom_v, force_atom_v, batch_peers, texts)
                    : ask<ok_atom>(set_atom_v, batch_peers, texts);
        }
        REQUIRE_MSG(r.arrived(), "step " << step << ": batch not answered");
        if (refused < batch_peers.size()) {
          ++batches_refused;
          if (why == set_outcome::conflict)
            ++conflicts;
          CHECK_MSG(is(r.error(), why == set_outcome::conflict
                                      ? errc::conflict
                                      : errc::regression),
                    "step " << step << ": " << render(r.error()));
          if (batch_peers.size() > 1 || !conditional) {
            CHECK_MSG(render(r.error()).find("batch entry "
                                             + std::to_string(refused) + " of")
                          != std::string::npos,
                      "step " << step << ": " << render(r.error()));
          }
        } else {
          ++batches_applied;
          CHECK_MSG(r.arrived() && *r.slot && **r.slot,
                    "step " << step
                            << ": batch refused: " << render(r.error()));
          if (force) // may move them back: skipped by the durability check
            for (auto& p : batch_peers)
              backwards[p] += 1;
        }
        static_cast<void>(why);
        break;
      }
      case 0:
      case 1:
      case 2:
      case 3: { // set, sometimes a regression
        auto cur = model.count(peer) ? model[peer] : stream_id{};
        stream_id next{cur.ms + static_cast<uint64_t>(pick(3)),
                       static_cast<uint64_t>(pick(5))};
        auto err = set(peer, next.to_string());
        if (model.count(peer) && next < cur) {
          CAF_CHECK(is(err, errc::regression));
        } else {
          CAF_CHECK(!err);
          model[peer] = next;
        }
        break;
      }
      case 4: { // forced set
        stream_id next{static_cast<uint64_t>(pick(5)),
                       static_cast<uint64_t>(pick(5))};
        CAF_CHECK(!force_set(peer, next.to_string()));
        model[peer] = next;
        backwards[peer] += 1;
        break;
      }
      case 5: { // delete
        auto r = send<bool>(delete_atom_v, peer);
        drain();
        deletes.emplace_back(r, peer);
        model.erase(peer);
        backwards[peer] += 1;
        break;
      }
      case 6: { // flush
        flushes.push_back(
            pending_flush{send<uint64_t>(flush_atom_v), model, backwards});
        break;
      }
      case 7: { // disturb the writer
        switch (pick(4)) {
          case 0:
            script->write_outcomes.push_back(test::busy_error(517));
            break;
          case 1:
            script->write_outcomes.push_back(
                test::storage_error(10, "disk I/O error"));
            break;
          case 2:
            script->hold_writes = true;
            break;
          default:
            script->hold_writes = false;
            caf::anon_send(caf::actor_cast<test::mock_writer_actor>(writer),
                           test::release_atom_v);
        }
        break;
      }
      case 8: // let time pass: retries fire
        advance_time(caf::timespan{std::chrono::milliseconds(pick(100))});
        break;
      default: { // reads match the model
        auto x = get(peer);
        CAF_CHECK_EQUAL(x.found, model.count(peer) > 0);
        if (x.found)
          CAF_CHECK_EQUAL(x.stream_id, model[peer].to_string());
      }
    }
    drain();
    // Every acknowledged flush: the disk holds, for each peer of its
    // snapshot, that value or a newer one set since (never an older one).
    for (auto i = flushes.begin(); i != flushes.end();) {
      if (!i->r.arrived()) {
        ++i;
        continue;
      }
      if (**i->r.slot) {
        ++acknowledged;
        for (auto& [p, id] : i->snapshot) {
          if (backwards[p] != i->backwards[p])
            continue;
          auto on_disk = script->disk.find(p);
          CHECK_MSG(on_disk != script->disk.end(),
                    "acknowledged " << p << " lost");
          if (on_disk != script->disk.end())
            CHECK_MSG(!(*stream_id::parse(on_disk->second) < id),
                      p << " on disk " << on_disk->second << " < acknowledged "
                        << id.to_string());
        }
      }
      i = flushes.erase(i);
    }
  }
  // Quiesce: no more failures, release everything, flush.
  script->write_outcomes.clear();
  script->hold_writes = false;
  caf::anon_send(caf::actor_cast<test::mock_writer_actor>(writer),
                 test::release_atom_v);
  drain();
  advance_time(10s);
  drain();
  CAF_CHECK(ask<uint64_t>(flush_atom_v).arrived());
  drain();
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  std::map<std::string, std::string> expected;
  for (auto& [p, id] : model)
    expected.emplace(p, id.to_string());
  std::map<std::string, std::string> memory;
  for (auto& e : list()) {
    memory.emplace(e.peer, e.stream_id);
    CAF_CHECK(e.durable);
  }
  CAF_CHECK(memory == expected);
  CAF_CHECK(script->disk == expected);
  for (auto& [r, p] : deletes)
    CAF_CHECK(r.arrived()); // every delete was answered, one way or another
  CAF_MESSAGE(acknowledged << " acknowledged flushes checked, "
                           << batches_applied << " batches applied, "
                           << batches_refused << " refused (" << conflicts
                           << " conflicts), " << conditional_singles
                           << " single conditional sets");
  CAF_CHECK(acknowledged > 10);
  CAF_CHECK(batches_applied > 100);
  CAF_CHECK(batches_refused > 100);
  CAF_CHECK(conflicts > 50);
  CAF_CHECK(conditional_singles > 50);
}

CAF_TEST_FIXTURE_SCOPE_END()

// The table alone: random sets, forced sets, deletes, snapshots that commit
// and snapshots that are lost (a failed write), against a std::map model and
// a "disk" that receives the committed batches.
CAF_TEST(random operations on the table alone keep it equal to the model) {
  std::mt19937 rng{20261202};
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  cursor_table::time_point now{};
  cursor_table table{[&] { return now; }};
  std::map<std::string, stream_id> model;
  std::map<std::string, std::string> disk;
  std::optional<table_snapshot> in_flight;
  size_t commits = 0;
  auto check_all = [&](int step) {
    std::map<std::string, std::string> memory;
    table.for_each([&](const std::string& p, const cursor_value& value,
                       bool durable) {
      memory.emplace(p, value.id.to_string());
      // Durable means the disk holds exactly this value.
      auto i = disk.find(p);
      if (durable)
        CHECK_MSG(i != disk.end() && i->second == value.id.to_string(),
                  "step " << step << ": " << p << " durable but not on disk");
    });
    std::map<std::string, std::string> expected;
    for (auto& [p, id] : model)
      expected.emplace(p, id.to_string());
    CHECK_MSG(memory == expected, "step " << step << ": memory != model");
    CAF_CHECK_EQUAL(table.size(), model.size());
    // Every peer whose disk value differs from the model is dirty.
    size_t differing = 0;
    for (auto& [p, v] : expected)
      if (disk.count(p) == 0 || disk[p] != v)
        ++differing;
    for (auto& [p, v] : disk)
      if (expected.count(p) == 0)
        ++differing;
    CHECK_MSG(table.dirty_count() >= differing,
              "step " << step << ": " << table.dirty_count() << " dirty < "
                      << differing << " differing");
  };
  std::vector<std::string> batch_peers;
  std::vector<stream_id> batch_ids;
  size_t batches_refused = 0;
  for (int step = 0; step < 20000; ++step) {
    auto peer
        = "host-" + std::to_string(pick(60)) + ".dc" + std::to_string(pick(3));
    now += std::chrono::milliseconds(pick(5));
    switch (pick(10)) {
      case 8:
      case 9: { // batched set, plain or forced, conditional or not
        bool force = pick(3) == 0;
        bool conditional = pick(2) == 0;
        // Peers the other steps use too (deleted, pending or not).
        random_batch(
            pick, model, batch_peers, batch_ids,
            [](int i) {
              return "host-" + std::to_string(i) + ".dc"
                     + std::to_string(i % 3);
            },
            60);
        auto wants = random_expectations(pick, model, batch_peers, batch_ids);
        auto [refused, why] = apply_batch(model, batch_peers, batch_ids, force,
                                          conditional ? &wants : nullptr);
        auto out = table.set_all(batch_peers, batch_ids, step, force,
                                 conditional ? &wants : nullptr);
        CHECK_MSG(out.refused == refused,
                  "step " << step << ": table refused entry " << out.refused
                          << ", model " << refused);
        if (refused < batch_peers.size()) {
          ++batches_refused;
          CAF_CHECK(out.reason == why);
        }
        break;
      }
      case 0:
      case 1:
      case 2: { // set, sometimes a regression
        auto cur = model.count(peer) ? model[peer] : stream_id{};
        stream_id next{cur.ms + static_cast<uint64_t>(pick(3)),
                       static_cast<uint64_t>(pick(5))};
        auto out = table.set(peer, next, step, false);
        if (!model.count(peer) || cur < next) {
          CAF_CHECK(out == set_outcome::changed);
          model[peer] = next;
        } else if (next == cur) {
          CAF_CHECK(out == set_outcome::unchanged);
        } else {
          CAF_CHECK(out == set_outcome::regression);
        }
        break;
      }
      case 3: { // forced set
        stream_id next{static_cast<uint64_t>(pick(5)),
                       static_cast<uint64_t>(pick(5))};
        auto out = table.set(peer, next, step, true);
        bool same = model.count(peer) && model[peer] == next;
        CAF_CHECK(out
                  == (same ? set_outcome::unchanged : set_outcome::changed));
        model[peer] = next;
        break;
      }
      case 4: { // delete
        auto out = table.erase(peer);
        if (model.count(peer))
          CAF_CHECK(out == erase_outcome::erased);
        else
          CAF_CHECK(out != erase_outcome::erased);
        model.erase(peer);
        break;
      }
      case 5: // a write attempt starts (replacing a lost one)
        in_flight = table.snapshot();
        break;
      case 6: // the attempt in flight commits
        if (in_flight) {
          for (auto& op : in_flight->batch.ops) {
            if (op.erase)
              disk.erase(op.peer);
            else
              disk[op.peer] = op.stream_id;
          }
          table.commit(in_flight->version);
          in_flight.reset();
          ++commits;
        }
        break;
      default: // the attempt in flight fails
        in_flight.reset();
    }
    if (step % 50 == 0)
      check_all(step);
  }
  // Quiesce: one last snapshot commits everything.
  auto last = table.snapshot();
  for (auto& op : last.batch.ops) {
    if (op.erase)
      disk.erase(op.peer);
    else
      disk[op.peer] = op.stream_id;
  }
  table.commit(last.version);
  CAF_CHECK(table.clean());
  check_all(-1);
  std::map<std::string, std::string> expected;
  for (auto& [p, id] : model)
    expected.emplace(p, id.to_string());
  CAF_CHECK(disk == expected);
  CAF_MESSAGE(commits << " commits checked, " << batches_refused
                      << " batches refused");
  CAF_CHECK(commits > 100);
  CAF_CHECK(batches_refused > 100);
}
