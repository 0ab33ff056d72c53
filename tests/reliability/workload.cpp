// Workload client of the reliability suite: talks to a cursor node over a
// real middleman connection and reports what the node acknowledged, so the
// Python scenarios can check that nothing acknowledged was lost.
//
//   cursor_workload crash HOST PORT CYCLE PEERS OPS
//     Sets strictly increasing stream IDs (ms = CYCLE * 10^7 + counter) for
//     random peers, asks for flushes and checkpoints now and then, and prints
//       TRY <peer> <id>     before each set is sent
//       ACK <peer> <id>     for every peer whose value a successful flush
//                           covered (the last set acknowledged before it)
//     It exits 2 as soon as the node stops answering (the scenario kills it),
//     0 after OPS operations.
//
//   cursor_workload load HOST PORT CLIENT UPDATES SHARED PRIVATE INFLIGHT
//     Sends UPDATES operations with at most INFLIGHT requests in flight:
//     sets of SHARED peers (shared-N, touched by every client; ms grows per
//     client, seq = CLIENT), sets and deletes of PRIVATE peers (c<CLIENT>-N,
//     only this client), flushes now and then, a final flush. Prints
//       SHARED <peer> <highest acknowledged id>
//       PRIVATE <peer> <id>|ABSENT   (the outcome of the last operation)
//       STATS sets=<n> regressions=<n> deletes=<n> flushes=<n>
//     Exits 0 when every request was answered as expected, 1 otherwise.
//
//   cursor_workload bad HOST PORT
//     Sends invalid input straight over the wire, bypassing cursorctl's own
//     parsing: bad peer IDs (NUL, control characters, oversized), bad stream
//     IDs, regressions, unknown messages, wrong arity and argument types.
//     Checks each answer's error and that the cursors did not change. Prints
//       CASE ok|FAIL <name>: <answer>
//     and exits 0 when every case was refused as expected.
//
//   cursor_workload strays HOST PORT
//     Sends the published actor a caf::error message, an exit message with
//     reason user_shutdown, forged retry and tick messages, then checks it
//     still answers. Exits 0 if it does.
//
//   cursor_workload vanish HOST PORT
//     Sends a burst of set, flush and list requests and exits at once,
//     without waiting for any answer: a client that disconnects mid-request.

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "cli/connect.hpp"
#include "common/defaults.hpp"
#include "cursor_actor/cursor_actor.hpp"

namespace {

using namespace std::chrono_literals;
using namespace cursor;

constexpr auto request_timeout = 30s;

// In crash mode the node dies under the client. CAF 0.17 does not fail the
// requests that were in flight on a connection that closed: they end only by
// their timeout, so crash mode keeps it short.
constexpr auto crash_request_timeout = 3s;

std::string text(const caf::error& err) {
  return err.category() == caf::atom("cursor") ? render(err)
                                               : caf::to_string(err);
}

// -- crash mode ---------------------------------------------------------------

int run_crash(caf::actor_system& sys, const cursor_actor& node, uint64_t cycle,
              int peers, int ops) {
  caf::scoped_actor self{sys};
  std::mt19937_64 rng{std::random_device{}()};
  std::map<std::string, std::string> since_flush; // acknowledged sets
  uint64_t counter = 0;
  int next_flush = 1 + static_cast<int>(rng() % 200);
  bool lost = false;
  auto on_error = [&](const char* what) {
    return [&, what](caf::error& err) {
      std::cout << "LOST " << what << ' ' << text(err) << std::endl;
      lost = true;
    };
  };
  for (int op = 0; op < ops && !lost; ++op) {
    if (--next_flush == 0) {
      next_flush = 1 + static_cast<int>(rng() % 200);
      auto covered = std::move(since_flush);
      since_flush.clear();
      self->request(node, crash_request_timeout, flush_atom_v)
          .receive(
              [&](uint64_t) {
                for (auto& [peer, id] : covered)
                  std::cout << "ACK " << peer << ' ' << id << '\n';
                std::cout << std::flush;
              },
              [&](caf::error& err) {
                if (is(err, errc::busy) || is(err, errc::storage_error)) {
                  // Not acknowledged: the values stay dirty and a later flush
                  // covers them (unless a newer set replaced them).
                  std::cout << "NACK " << text(err) << std::endl;
                  for (auto& kvp : covered)
                    since_flush.emplace(kvp);
                  return;
                }
                on_error("flush")(err);
              });
      if (rng() % 8 == 0)
        self->request(node, crash_request_timeout, checkpoint_atom_v)
            .receive([](const checkpoint_info&) {},
                     [&](caf::error& err) {
                       if (!is(err, errc::checkpoint_incomplete))
                         on_error("checkpoint")(err);
                     });
      continue;
    }
    auto peer = "peer-" + std::to_string(rng() % static_cast<uint64_t>(peers));
    auto id = std::to_string(cycle * 10'000'000 + ++counter) + "-"
              + std::to_string(rng() % 4);
    std::cout << "TRY " << peer << ' ' << id << std::endl;
    self->request(node, crash_request_timeout, set_atom_v, peer, id)
        .receive([&](ok_atom) { since_flush[peer] = id; }, on_error("set"));
  }
  return lost ? 2 : 0;
}

// -- load mode ----------------------------------------------------------------

struct load_params {
  int client = 0;
  int updates = 0;
  int shared = 0;
  int priv = 0;
  int inflight = 0;
};

struct load_result {
  std::map<std::string, stream_id> shared_max;
  // Per private peer: the value left by the last operation *sent* that was
  // acknowledged ("" = absent), with its send order. The node applies one
  // client's requests in the order sent, but does not answer in that order:
  // a set is answered at once, a delete after its COMMIT, so a set sent
  // after a delete of the same peer may be answered first.
  std::map<std::string, std::pair<uint64_t, std::string>> private_last;
  uint64_t sets = 0;
  uint64_t regressions = 0;
  uint64_t deletes = 0;
  uint64_t flushes = 0;
  uint64_t failures = 0;
};

struct load_state {
  load_params p;
  cursor_actor node;
  caf::actor parent;
  std::mt19937_64 rng{12345};
  int sent = 0;
  int answered = 0;
  int in_flight = 0;
  uint64_t ms = 0;
  load_result result;
  bool final_flush_sent = false;
  load_result* out = nullptr;
};

using load_actor = caf::stateful_actor<load_state>;

void pump(load_actor* self);

void answered(load_actor* self) {
  auto& st = self->state;
  --st.in_flight;
  ++st.answered;
  pump(self);
}

void fail(load_actor* self, const std::string& what, const caf::error& err) {
  auto& st = self->state;
  ++st.result.failures;
  std::cout << "FAIL " << what << ": " << text(err) << std::endl;
}

// Records what an acknowledged operation on a private peer left, unless an
// operation sent later was acknowledged before it.
void record_private(load_result& r, const std::string& peer, uint64_t order,
                    std::string value) {
  auto& slot = r.private_last[peer];
  if (order > slot.first) // orders start at 1; a new slot holds 0
    slot = {order, std::move(value)};
}

void send_one(load_actor* self) {
  auto& st = self->state;
  auto order = static_cast<uint64_t>(++st.sent);
  ++st.in_flight;
  auto roll = st.rng() % 1000;
  if (roll == 0) {
    self->request(st.node, request_timeout, flush_atom_v)
        .then(
            [self](uint64_t) {
              ++self->state.result.flushes;
              answered(self);
            },
            [self](caf::error& err) {
              fail(self, "flush", err);
              answered(self);
            });
    return;
  }
  if (roll < 4 && st.p.priv > 0) {
    auto peer = "c" + std::to_string(st.p.client) + "-"
                + std::to_string(st.rng() % static_cast<uint64_t>(st.p.priv));
    self->request(st.node, request_timeout, delete_atom_v, peer)
        .then(
            [self, peer, order](bool) {
              ++self->state.result.deletes;
              record_private(self->state.result, peer, order, "");
              answered(self);
            },
            [self, peer](caf::error& err) {
              fail(self, "delete " + peer, err);
              answered(self);
            });
    return;
  }
  ++st.ms;
  bool shared = st.p.priv == 0 || st.rng() % 10 < 7;
  std::string peer;
  stream_id id{st.ms, static_cast<uint64_t>(st.p.client)};
  if (shared)
    peer = "shared-"
           + std::to_string(st.rng() % static_cast<uint64_t>(st.p.shared));
  else
    peer = "c" + std::to_string(st.p.client) + "-"
           + std::to_string(st.rng() % static_cast<uint64_t>(st.p.priv));
  self->request(st.node, request_timeout, set_atom_v, peer, id.to_string())
      .then(
          [self, peer, id, shared, order](ok_atom) {
            auto& r = self->state.result;
            ++r.sets;
            if (shared) {
              auto i = r.shared_max.find(peer);
              if (i == r.shared_max.end() || i->second < id)
                r.shared_max[peer] = id;
            } else {
              record_private(r, peer, order, id.to_string());
            }
            answered(self);
          },
          [self, peer, shared](caf::error& err) {
            // Other clients push shared peers ahead: a refused regression is
            // the expected outcome there, and proof that nothing moved
            // backwards.
            if (shared && is(err, errc::regression))
              ++self->state.result.regressions;
            else
              fail(self, "set " + peer, err);
            answered(self);
          });
}

void pump(load_actor* self) {
  auto& st = self->state;
  while (st.sent < st.p.updates && st.in_flight < st.p.inflight)
    send_one(self);
  if (st.answered == st.p.updates && !st.final_flush_sent) {
    st.final_flush_sent = true;
    auto finish = [self] {
      // The parent reads the result only after this message arrives.
      *self->state.out = self->state.result;
      self->send(self->state.parent, caf::ok_atom_v);
      self->quit();
    };
    self->request(st.node, request_timeout, flush_atom_v)
        .then(
            [self, finish](uint64_t) {
              ++self->state.result.flushes;
              finish();
            },
            [self, finish](caf::error& err) {
              fail(self, "final flush", err);
              finish();
            });
  }
}

caf::behavior load_driver(load_actor* self, cursor_actor node, load_params p,
                          caf::actor parent, load_result* out) {
  self->state.node = std::move(node);
  self->state.p = p;
  self->state.parent = std::move(parent);
  self->state.out = out;
  pump(self);
  return {
      [](caf::unit_t) {
        // Keeps the actor alive until quit(); nothing else arrives.
      },
  };
}

int run_load(caf::actor_system& sys, const cursor_actor& node,
             const load_params& p) {
  load_result result;
  caf::scoped_actor self{sys};
  auto driver = sys.spawn(load_driver, node, p,
                          caf::actor_cast<caf::actor>(self), &result);
  self->monitor(driver);
  bool finished = false;
  self->receive([&](caf::ok_atom) { finished = true; },
                [&](const caf::down_msg&) {});
  if (!finished) {
    std::cout << "FAIL the driver died" << std::endl;
    return 1;
  }
  for (auto& [peer, id] : result.shared_max)
    std::cout << "SHARED " << peer << ' ' << id.to_string() << '\n';
  for (auto& [peer, last] : result.private_last)
    std::cout << "PRIVATE " << peer << ' '
              << (last.second.empty() ? "ABSENT" : last.second) << '\n';
  std::cout << "STATS sets=" << result.sets
            << " regressions=" << result.regressions
            << " deletes=" << result.deletes << " flushes=" << result.flushes
            << " failures=" << result.failures << std::endl;
  return result.failures == 0 ? 0 : 1;
}

// -- bad input mode -----------------------------------------------------------

int run_bad(caf::actor_system& sys, const cursor_actor& node) {
  caf::scoped_actor self{sys};
  int failures = 0;
  int cases = 0;
  auto snapshot = [&] {
    std::vector<cursor_entry> result;
    self->request(node, request_timeout, list_atom_v)
        .receive([&](std::vector<cursor_entry>& xs) { result = std::move(xs); },
                 [&](caf::error&) {});
    for (auto& e : result)
      e.updated_at = 0; // unchanged values keep their time anyway
    return result;
  };
  // A known state to compare against.
  self->request(node, request_timeout, set_atom_v, std::string{"bad.peer"},
                std::string{"100-5"})
      .receive([](ok_atom) {},
               [&](caf::error& err) {
                 std::cout << "FAIL setup: " << text(err) << std::endl;
                 ++failures;
               });
  auto before = snapshot();
  auto report = [&](const std::string& name, bool ok, const std::string& got) {
    ++cases;
    if (!ok)
      ++failures;
    auto after = snapshot();
    bool same = after.size() == before.size();
    for (size_t i = 0; same && i < after.size(); ++i)
      same = after[i].peer == before[i].peer
             && after[i].stream_id == before[i].stream_id;
    if (!same)
      ++failures;
    std::cout << "CASE " << (ok && same ? "ok" : "FAIL") << ' ' << name << ": "
              << got << (same ? "" : " [STATE CHANGED]") << std::endl;
  };
  auto typed_set = [&](const std::string& name, const std::string& peer,
                       const std::string& id, errc expected, bool force) {
    auto handle
        = [&](caf::error& err) { report(name, is(err, expected), text(err)); };
    auto accepted = [&](ok_atom) { report(name, false, "accepted"); };
    if (force)
      self->request(node, request_timeout, set_atom_v, force_atom_v, peer, id)
          .receive(accepted, handle);
    else
      self->request(node, request_timeout, set_atom_v, peer, id)
          .receive(accepted, handle);
  };
  using std::string;
  const string nul_peer("nul\0peer", 8);
  const string ok_id = "200-0";
  // Peer IDs.
  typed_set("empty peer", "", ok_id, errc::invalid_peer_id, false);
  typed_set("peer with NUL", nul_peer, ok_id, errc::invalid_peer_id, false);
  typed_set("peer of 256 bytes", string(256, 'p'), ok_id, errc::invalid_peer_id,
            false);
  typed_set("peer of 1 MiB", string(1 << 20, 'p'), ok_id, errc::invalid_peer_id,
            false);
  typed_set("peer with newline", "a\nb", ok_id, errc::invalid_peer_id, false);
  typed_set("peer with escape", "\x1b[2J", ok_id, errc::invalid_peer_id, false);
  typed_set("peer with DEL", "a\x7f", ok_id, errc::invalid_peer_id, false);
  typed_set("peer not UTF-8", "\xff\xfe", ok_id, errc::invalid_peer_id, false);
  typed_set("forced set, empty peer", "", ok_id, errc::invalid_peer_id, true);
  // Stream IDs.
  for (auto id : {"",
                  "abc",
                  "1",
                  "1-",
                  "-1",
                  "-1-0",
                  "+1-0",
                  "1-+0",
                  " 1-0",
                  "1-0 ",
                  "1 -0",
                  "\t1-0",
                  "01-0",
                  "1-00",
                  "18446744073709551616-0",
                  "0-18446744073709551616",
                  "$",
                  ">",
                  "*",
                  "-",
                  "+",
                  "1-2-3",
                  "1.0-0",
                  "0x10-0"})
    typed_set(string{"stream id '"} + id + "'", "bad.peer", id,
              errc::invalid_stream_id, false);
  typed_set("stream id with NUL", "bad.peer", string("1\0-0", 4),
            errc::invalid_stream_id, false);
  typed_set("forced set, bad id", "bad.peer", "1-", errc::invalid_stream_id,
            true);
  // Regressions.
  typed_set("regression by seq", "bad.peer", "100-4", errc::regression, false);
  typed_set("regression by ms", "bad.peer", "99-9", errc::regression, false);
  typed_set("regression to 0", "bad.peer", "0", errc::regression, false);
  // Other messages with bad peers.
  self->request(node, request_timeout, get_atom_v, string{})
      .receive(
          [&](cursor_lookup&) { report("get empty peer", false, "found"); },
          [&](caf::error& err) {
            report("get empty peer", is(err, errc::invalid_peer_id), text(err));
          });
  self->request(node, request_timeout, delete_atom_v, nul_peer)
      .receive([&](bool) { report("delete NUL peer", false, "deleted"); },
               [&](caf::error& err) {
                 report("delete NUL peer", is(err, errc::invalid_peer_id),
                        text(err));
               });
  // Messages outside the interface, sent untyped over the wire.
  auto raw = caf::actor_cast<caf::actor>(node);
  auto unexpected = [&](const string& name) {
    return [&, name](caf::error& err) {
      report(name, err == caf::sec::unexpected_message, text(err));
    };
  };
  auto any_reply = [&](const string& name) {
    return [&, name](caf::message& msg) {
      report(name, false, "answered " + caf::to_string(msg));
    };
  };
  self->request(raw, request_timeout, string{"hello"})
      .receive(any_reply("a bare string"), unexpected("a bare string"));
  self->request(raw, request_timeout, set_atom_v, string{"bad.peer"})
      .receive(any_reply("set with one argument"),
               unexpected("set with one argument"));
  self->request(raw, request_timeout, set_atom_v, string{"bad.peer"},
                string{"300-0"}, string{"extra"})
      .receive(any_reply("set with three arguments"),
               unexpected("set with three arguments"));
  self->request(raw, request_timeout, set_atom_v, int32_t{1}, int32_t{2})
      .receive(any_reply("set with integers"), unexpected("set with integers"));
  self->request(raw, request_timeout, delete_atom_v, uint64_t{7})
      .receive(any_reply("delete with an integer"),
               unexpected("delete with an integer"));
  self->request(raw, request_timeout, caf::atom("nosuchop"))
      .receive(any_reply("an unknown atom"), unexpected("an unknown atom"));
  self->request(raw, request_timeout, 3.14, true)
      .receive(any_reply("a double and a bool"),
               unexpected("a double and a bool"));
  std::cout << "CASES " << cases << " failures " << failures << std::endl;
  return failures == 0 ? 0 : 1;
}

// -- strays mode
// ---------------------------------------------------------------

int run_strays(caf::actor_system& sys, const cursor_actor& node) {
  caf::scoped_actor self{sys};
  auto raw = caf::actor_cast<caf::actor>(node);
  caf::anon_send(raw, caf::make_error(caf::sec::runtime_error, "stray"));
  caf::anon_send(raw, caf::make_error(errc::closed, "forged"));
  caf::anon_send_exit(raw, caf::exit_reason::user_shutdown);
  // The store's internal messages are not in the published interface; a
  // peer can still send them untyped.
  caf::anon_send(raw, retry_atom_v, uint64_t{1});
  caf::anon_send(raw, tick_atom_v, uint64_t{1});
  int code = 1;
  self->request(node, request_timeout, dirty_atom_v)
      .receive(
          [&](uint64_t n) {
            std::cout << "ALIVE dirty=" << n << std::endl;
            code = 0;
          },
          [&](caf::error& err) {
            std::cout << "DEAD " << text(err) << std::endl;
          });
  return code;
}

// -- vanish mode --------------------------------------------------------------

int run_vanish(caf::actor_system& sys, const cursor_actor& node) {
  caf::scoped_actor self{sys};
  for (int i = 0; i < 2000; ++i) {
    self->request(node, request_timeout, set_atom_v,
                  "vanish-" + std::to_string(i % 50),
                  std::to_string(i + 1) + "-0");
    if (i % 100 == 0) {
      self->request(node, request_timeout, flush_atom_v);
      self->request(node, request_timeout, list_atom_v);
    }
  }
  std::cout << "VANISH" << std::endl;
  std::_Exit(0); // no goodbye: the sockets close under the node's feet
}

int usage() {
  std::cerr << "usage: cursor_workload crash HOST PORT CYCLE PEERS OPS\n"
               "       cursor_workload bad|strays|vanish HOST PORT\n"
               "       cursor_workload load HOST PORT CLIENT UPDATES SHARED "
               "PRIVATE INFLIGHT\n";
  return 64;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 4)
    return usage();
  std::string mode = argv[1];
  std::string host = argv[2];
  auto port = static_cast<uint16_t>(std::atoi(argv[3]));
  if ((mode == "crash" && argc != 7) || (mode == "load" && argc != 9)
      || ((mode == "bad" || mode == "vanish" || mode == "strays") && argc != 4)
      || (mode != "crash" && mode != "load" && mode != "bad" && mode != "vanish"
          && mode != "strays"))
    return usage();
  caf::actor_system_config cfg;
  cursor::cli::make_client_config(cfg, cursor::app::app_identifier);
  caf::actor_system sys{cfg};
  std::string error;
  auto node = cursor::cli::connect_to_node(sys, host, port, 10s, error);
  if (!node) {
    std::cout << "LOST connect " << error << std::endl;
    return 2;
  }
  if (mode == "bad")
    return run_bad(sys, *node);
  if (mode == "vanish")
    return run_vanish(sys, *node);
  if (mode == "strays")
    return run_strays(sys, *node);
  if (mode == "crash")
    return run_crash(sys, *node, std::strtoull(argv[4], nullptr, 10),
                     std::atoi(argv[5]), std::atoi(argv[6]));
  load_params p;
  p.client = std::atoi(argv[4]);
  p.updates = std::atoi(argv[5]);
  p.shared = std::atoi(argv[6]);
  p.priv = std::atoi(argv[7]);
  p.inflight = std::atoi(argv[8]);
  return run_load(sys, *node, p);
}
