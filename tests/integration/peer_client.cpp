// A remote CAF peer of the cursor node, for the integration tests. It sends
// the protocol messages cursorctl cannot send (get-or-start, dirty, close, the
// internal retry/tick, exit messages, stray and unknown messages) over a
// real middleman connection and checks every answer.
//
//   cursor_peer_client protocol   HOST PORT   every message, checked
//   cursor_peer_client close      HOST PORT   close is refused, store open
//   cursor_peer_client kill-front HOST PORT   exit(kill) to the front
//   cursor_peer_client foreign    HOST PORT   handshake as another app
//   cursor_peer_client hold       HOST PORT   stay connected until the
//                                             node goes away
//   cursor_peer_client backup-names HOST PORT backup with names that are
//                                             paths: all refused by the front
//
// Three more arguments, CERT KEY CA (PEM files), make every mode connect with
// mutual TLS, as cursorctl --tls-cert/--tls-key/--tls-ca does.
//
// Prints one line per step; exit 0 when every step went as expected.

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "cli/connect.hpp"
#include "common/defaults.hpp"
#include "common/tls.hpp"
#include "cursor_actor/cursor_actor.hpp"

namespace {

using namespace std::chrono_literals;
using cursor::cursor_actor;

// Generous: the node may run under the sanitizers on a loaded machine. A
// check never expects a timeout; it only bounds a hang.
constexpr auto timeout = 30s;

struct checker {
  int failures = 0;

  void check(bool ok, const std::string& step, const std::string& detail = {}) {
    if (ok) {
      std::cout << "ok   " << step << '\n';
    } else {
      ++failures;
      std::cout << "FAIL " << step << (detail.empty() ? "" : ": ") << detail
                << '\n';
    }
  }
};

std::string text(const caf::error& err) {
  return err.category() == caf::atom("cursor") ? cursor::render(err)
                                               : caf::to_string(err);
}

// `close` through the front: an error saying it is not a remote operation;
// the store stays open.
void check_close_refused(checker& c, caf::scoped_actor& self,
                         const cursor_actor& front) {
  using namespace cursor;
  self->request(front, timeout, close_atom_v)
      .receive(
          [&](uint64_t rows) {
            c.check(false, "close is refused", "closed, " + std::to_string(rows)
                                                   + " rows flushed");
          },
          [&](caf::error& err) {
            auto what = text(err);
            std::cout << "close answered: " << what << '\n';
            c.check(what.find("not a remote operation") != std::string::npos,
                    "close is refused", what);
          });
  self->request(front, timeout, stats_atom_v)
      .receive(
          [&](const cursor_stats& x) {
            c.check(!x.closed, "the store is still open after close");
          },
          [&](caf::error& err) {
            c.check(false, "the store is still open after close", text(err));
          });
}

// Only the close: connect, send close, check the store stays open and
// writable.
int run_close(caf::actor_system& sys, const cursor_actor& front) {
  using namespace cursor;
  checker c;
  caf::scoped_actor self{sys};
  check_close_refused(c, self, front);
  self->request(front, timeout, set_atom_v, "uk.node.leeds-2", "4-0")
      .receive([&](ok_atom) { c.check(true, "set after close"); },
               [&](caf::error& err) {
                 c.check(false, "set after close", text(err));
               });
  self->request(front, timeout, flush_atom_v)
      .receive([&](uint64_t) { c.check(true, "flush after close"); },
               [&](caf::error& err) {
                 c.check(false, "flush after close", text(err));
               });
  std::cout << (c.failures == 0 ? "all steps passed" : "some steps failed")
            << std::endl;
  return c.failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int run_protocol(caf::actor_system& sys, const cursor_actor& front) {
  using namespace cursor;
  checker c;
  caf::scoped_actor self{sys};
  auto fail_on_error = [&](const std::string& step) {
    return [&c, step](caf::error& err) { c.check(false, step, text(err)); };
  };
  auto expect_error = [&](const std::string& step, auto check_error) {
    return [&c, step, check_error](caf::error& err) {
      c.check(check_error(err), step, text(err));
    };
  };
  // set, and a regression refused with the store's error code.
  self->request(front, timeout, set_atom_v, "peer.one", "10-0")
      .receive([&](ok_atom) { c.check(true, "set"); }, fail_on_error("set"));
  self->request(front, timeout, set_atom_v, "peer.one", "5-0")
      .receive([&](ok_atom) { c.check(false, "set refuses a regression"); },
               expect_error("set refuses a regression", [](caf::error& e) {
                 return is(e, errc::regression);
               }));
  self->request(front, timeout, set_atom_v, force_atom_v, "peer.one", "7-0")
      .receive([&](ok_atom) { c.check(true, "set force"); },
               fail_on_error("set force"));
  self->request(front, timeout, set_atom_v, "bad\npeer", "1-0")
      .receive([&](ok_atom) { c.check(false, "set refuses a bad peer ID"); },
               expect_error("set refuses a bad peer ID", [](caf::error& e) {
                 return is(e, errc::invalid_peer_id);
               }));
  self->request(front, timeout, get_atom_v, "peer.one")
      .receive(
          [&](const cursor_lookup& x) {
            c.check(x.found && x.stream_id == "7-0" && !x.durable,
                    "get (dirty value)", x.stream_id);
          },
          fail_on_error("get (dirty value)"));
  self->request(front, timeout, get_atom_v, start_atom_v, "peer.one")
      .receive(
          [&](const std::string& x) {
            c.check(x == "7-0", "get_or_start of a known peer", x);
          },
          fail_on_error("get_or_start of a known peer"));
  self->request(front, timeout, get_atom_v, start_atom_v, "peer.unknown")
      .receive(
          [&](const std::string& x) {
            c.check(x == "0", "get_or_start of an unknown peer", x);
          },
          fail_on_error("get_or_start of an unknown peer"));
  self->request(front, timeout, dirty_atom_v)
      .receive(
          [&](uint64_t n) {
            c.check(n == 1, "dirty before flush", std::to_string(n));
          },
          fail_on_error("dirty before flush"));
  self->request(front, timeout, list_atom_v)
      .receive(
          [&](const std::vector<cursor_entry>& xs) {
            c.check(xs.size() == 1 && xs[0].peer == "peer.one"
                        && xs[0].stream_id == "7-0" && xs[0].updated_at > 0,
                    "list", std::to_string(xs.size()) + " entries");
          },
          fail_on_error("list"));
  self->request(front, timeout, flush_atom_v)
      .receive(
          [&](uint64_t rows) {
            c.check(rows == 1, "flush", std::to_string(rows));
          },
          fail_on_error("flush"));
  self->request(front, timeout, dirty_atom_v)
      .receive(
          [&](uint64_t n) {
            c.check(n == 0, "dirty after flush", std::to_string(n));
          },
          fail_on_error("dirty after flush"));
  self->request(front, timeout, get_atom_v, "peer.one")
      .receive(
          [&](const cursor_lookup& x) {
            c.check(x.found && x.durable, "get (durable value)");
          },
          fail_on_error("get (durable value)"));
  self->request(front, timeout, set_atom_v, "peer.two", "1-1")
      .receive([&](ok_atom) { c.check(true, "set a second peer"); },
               fail_on_error("set a second peer"));
  self->request(front, timeout, delete_atom_v, "peer.two")
      .receive([&](bool existed) { c.check(existed, "delete a known peer"); },
               fail_on_error("delete a known peer"));
  self->request(front, timeout, delete_atom_v, "peer.two")
      .receive(
          [&](bool existed) { c.check(!existed, "delete an unknown peer"); },
          fail_on_error("delete an unknown peer"));
  self->request(front, timeout, checkpoint_atom_v)
      .receive(
          [&](const checkpoint_info& x) {
            c.check(x.complete(), "checkpoint");
          },
          fail_on_error("checkpoint"));
  self->request(front, timeout, stats_atom_v)
      .receive(
          [&](const cursor_stats& x) {
            c.check(x.entries == 1 && x.flushes >= 2 && !x.closed, "stats",
                    "entries=" + std::to_string(x.entries)
                        + " flushes=" + std::to_string(x.flushes));
          },
          fail_on_error("stats"));
  // The store's internal messages are refused by the front, not forwarded.
  self->request(front, timeout, retry_atom_v, uint64_t{42})
      .receive([&] { c.check(false, "retry is refused"); },
               expect_error("retry is refused", [](caf::error& e) {
                 return e == caf::sec::unexpected_message;
               }));
  self->request(front, timeout, tick_atom_v, uint64_t{42})
      .receive([&] { c.check(false, "tick is refused"); },
               expect_error("tick is refused", [](caf::error& e) {
                 return e == caf::sec::unexpected_message;
               }));
  // What any peer can send to a published actor must not stop it: an exit
  // message other than kill, a stray error, a message outside the interface.
  auto untyped = caf::actor_cast<caf::actor>(front);
  caf::anon_send_exit(front, caf::exit_reason::user_shutdown);
  caf::anon_send(untyped, caf::make_error(caf::sec::runtime_error, "stray"));
  self->request(untyped, timeout, caf::atom("bogus"))
      .receive(
          [&](caf::message&) { c.check(false, "unknown message refused"); },
          expect_error("unknown message refused", [](caf::error& e) {
            return e == caf::sec::unexpected_message;
          }));
  self->request(front, timeout, get_atom_v, "peer.one")
      .receive(
          [&](const cursor_lookup& x) {
            c.check(x.found, "front survives exit(user_shutdown) and strays");
          },
          fail_on_error("front survives exit(user_shutdown) and strays"));
  // The batched set: applied whole, or refused whole.
  using strings = std::vector<std::string>;
  self->request(front, timeout, set_atom_v, strings{"batch.a", "batch.b"},
                strings{"1-0", "2-0"})
      .receive([&](ok_atom) { c.check(true, "batched set"); },
               fail_on_error("batched set"));
  self->request(front, timeout, set_atom_v, strings{"batch.a", "batch.b"},
                strings{"5-0", "1-0"})
      .receive([&](ok_atom) { c.check(false, "batch with a regression"); },
               expect_error("batch with a regression refused whole",
                            [](caf::error& e) {
                              return is(e, errc::regression);
                            }));
  self->request(front, timeout, get_atom_v, "batch.a")
      .receive(
          [&](const cursor_lookup& x) {
            c.check(x.found && x.stream_id == "1-0",
                    "a refused batch changed nothing", x.stream_id);
          },
          fail_on_error("a refused batch changed nothing"));
  // close is not a remote operation: refused with a reason; writes and
  // flushes go on.
  self->request(front, timeout, set_atom_v, "peer.three", "3-3")
      .receive([&](ok_atom) { c.check(true, "set before close"); },
               fail_on_error("set before close"));
  check_close_refused(c, self, front);
  self->request(front, timeout, set_atom_v, "peer.one", "8-0")
      .receive([&](ok_atom) { c.check(true, "set after close is accepted"); },
               fail_on_error("set after close is accepted"));
  self->request(front, timeout, flush_atom_v)
      .receive(
          [&](uint64_t rows) {
            c.check(rows >= 2, "flush after close", std::to_string(rows));
          },
          fail_on_error("flush after close"));
  self->request(front, timeout, get_atom_v, "peer.three")
      .receive(
          [&](const cursor_lookup& x) {
            c.check(x.found && x.durable && x.stream_id == "3-3",
                    "get after close");
          },
          fail_on_error("get after close"));
  std::cout << (c.failures == 0 ? "all steps passed" : "some steps failed")
            << std::endl;
  return c.failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int run_kill_front(caf::actor_system& sys, const cursor_actor& front) {
  caf::scoped_actor self{sys};
  self->monitor(front);
  caf::anon_send_exit(front, caf::exit_reason::kill);
  bool down = false;
  self->receive(
      [&](caf::down_msg& msg) {
        down = true;
        std::cout << "front terminated: " << caf::to_string(msg.reason)
                  << std::endl;
      },
      caf::after(std::chrono::seconds(60)) >>
          [] { std::cout << "FAIL no down message within 60s" << std::endl; });
  return down ? EXIT_SUCCESS : EXIT_FAILURE;
}

// Stays connected until the front goes away (the node shuts down): a node
// must not hang at exit because a client still holds a proxy of its front.
int run_hold(caf::actor_system& sys, const cursor_actor& front) {
  caf::scoped_actor self{sys};
  self->monitor(front);
  std::cout << "connected" << std::endl;
  bool down = false;
  self->receive(
      [&](caf::down_msg& msg) {
        down = true;
        std::cout << "front went away: " << caf::to_string(msg.reason)
                  << std::endl;
      },
      caf::after(std::chrono::seconds(120)) >>
          [] {
            std::cout << "FAIL the front stayed up for 120s" << std::endl;
          });
  return down ? EXIT_SUCCESS : EXIT_FAILURE;
}

// What cursorctl refuses locally, sent anyway: the front must refuse it.
int run_backup_names(caf::actor_system& sys, const cursor_actor& front) {
  using namespace cursor;
  checker c;
  caf::scoped_actor self{sys};
  const std::string names[] = {
      "../escape.db", "/tmp/escape.db", "..", ".", "", ".hidden",
      "a/b.db", "a..b", std::string("nul\0byte", 8), std::string(300, 'x'),
      "sub/../../escape.db"};
  for (auto& name : names) {
    self->request(front, timeout, backup_atom_v, name)
        .receive(
            [&](uint64_t) {
              c.check(false, "backup '" + name + "' refused", "it was written");
            },
            [&](caf::error& err) {
              c.check(is(err, errc::invalid_backup_name),
                      "backup '" + name + "' refused", text(err));
            });
  }
  return c.failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 7) {
    std::cerr << "usage: cursor_peer_client protocol|close|kill-front|foreign|hold "
                 "HOST PORT [CERT KEY CA]\n";
    return 64;
  }
  std::string mode = argv[1];
  std::string host = argv[2];
  auto port = static_cast<uint16_t>(std::stoi(argv[3]));
  bool foreign = mode == "foreign";
  cursor::app::tls_files tls;
  if (argc == 7) {
    tls.certificate = argv[4];
    tls.key = argv[5];
    tls.ca_file = argv[6];
    auto checked
        = cursor::app::check_tls_files(tls, {}, cursor::app::tls_role::client);
    if (!checked.error.empty()) {
      std::cout << "FAIL TLS files: " << checked.error << std::endl;
      return EXIT_FAILURE;
    }
    tls = checked.caf_files;
  }
  caf::actor_system_config cfg;
  cursor::cli::make_client_config(
      cfg, foreign ? "some-other-caf-app" : cursor::app::app_identifier, tls);
  caf::actor_system sys{cfg};
  std::string error;
  auto front = cursor::cli::connect_to_node(sys, host, port, timeout, error);
  int code = EXIT_FAILURE;
  if (foreign) {
    std::cout << (front ? "FAIL a foreign application connected"
                        : "refused: " + error)
              << std::endl;
    code = front ? EXIT_FAILURE : EXIT_SUCCESS;
  } else if (!front) {
    std::cout << "FAIL connect: " << error << std::endl;
  } else if (mode == "protocol") {
    code = run_protocol(sys, *front);
  } else if (mode == "close") {
    code = run_close(sys, *front);
  } else if (mode == "kill-front") {
    code = run_kill_front(sys, *front);
  } else if (mode == "backup-names") {
    code = run_backup_names(sys, *front);
  } else if (mode == "hold") {
    code = run_hold(sys, *front);
  } else {
    std::cerr << "unknown mode '" << mode << "'\n";
    code = 64;
  }
  // The node may have gone away under us (that is what some tests do):
  // leave without waiting on the middleman's teardown.
  std::cout.flush();
  std::_Exit(code);
}
