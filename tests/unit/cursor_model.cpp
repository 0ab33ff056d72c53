// Random operations against a std::map model, with the writer failing at
// random (busy, I/O errors) and writes held at random: afterwards memory, the
// model and the disk agree, and no acknowledged flush was lost.

#define CAF_SUITE cursor_model

#include "test.hpp"

#include <random>

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
                      p << " on disk " << on_disk->second
                        << " < acknowledged " << id.to_string());
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
