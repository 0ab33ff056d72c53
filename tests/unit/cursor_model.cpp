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
  for (int step = 0; step < 3000; ++step) {
    auto peer = "peer-" + std::to_string(pick(40));
    switch (pick(10)) {
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
  CAF_MESSAGE(acknowledged << " acknowledged flushes checked");
  CAF_CHECK(acknowledged > 10);
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
  for (int step = 0; step < 20000; ++step) {
    auto peer
        = "host-" + std::to_string(pick(60)) + ".dc" + std::to_string(pick(3));
    now += std::chrono::milliseconds(pick(5));
    switch (pick(8)) {
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
  CAF_MESSAGE(commits << " commits checked");
  CAF_CHECK(commits > 100);
}
