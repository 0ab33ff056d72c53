// A stand-in for cursor_node whose store is in a state a test cannot drive
// the real node into from outside, for `cursorctl health`:
//
//   cursor_fake_node closed    stats answers `closed` (as after `close`)
//   cursor_fake_node stopped   stats fails with `stopped` (as the front
//                              answers when its store is gone)
//   cursor_fake_node second-chunk
//                              an empty list; the first batched set is ok,
//                              every later one refused (a regression at its
//                              entry 1, as a peer that moved meanwhile):
//                              import's report of a failed later chunk
//   cursor_fake_node lists-busy
//                              every paged list refused with
//                              invalid_list_request, as when 16 paged lists
//                              run (cursorctl's retry gives up in time)
//   cursor_fake_node lists-busy-3
//                              the first 3 paged lists refused so, then
//                              answered with one cursor (cursorctl retries)
//
// Publishes the cursor interface on 127.0.0.1 (any free port) with the
// node's application identifier, prints `listening on 127.0.0.1:PORT` and
// serves until SIGTERM or SIGINT. Every other message is answered with
// `stopped`.

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "common/defaults.hpp"
#include "cursor_actor/cursor_actor.hpp"

namespace {

using namespace cursor;

caf::error refuse() {
  return caf::make_error(errc::stopped, "fake node");
}

cursor_actor::behavior_type fake_store(cursor_actor::pointer,
                                       std::string mode) {
  using str = const std::string&;
  using strs = const std::vector<std::string>&;
  auto batches = std::make_shared<int>(0);
  auto lists = std::make_shared<int>(0);
  auto batch = [mode, batches](strs peers) -> caf::result<ok_atom> {
    if (mode != "second-chunk")
      return refuse();
    if (++*batches == 1)
      return ok_atom_v;
    return caf::make_error(errc::regression,
                           "batch entry 1 of " + std::to_string(peers.size())
                               + ": cursor of '" + peers.at(1)
                               + "' is 9-0; refusing to move it back "
                                 "(fake node); nothing in the batch was "
                                 "applied");
  };
  return {
      [](set_atom, str, str) -> caf::result<ok_atom> { return refuse(); },
      [](set_atom, force_atom, str, str) -> caf::result<ok_atom> {
        return refuse();
      },
      [batch](set_atom, strs peers, strs) { return batch(peers); },
      [batch](set_atom, force_atom, strs peers, strs) { return batch(peers); },
      [](set_atom, expect_atom, str, str, str) -> caf::result<ok_atom> {
        return refuse();
      },
      [](set_atom, expect_atom, force_atom, str, str,
         str) -> caf::result<ok_atom> { return refuse(); },
      [batch](set_atom, expect_atom, strs peers, strs, strs) {
        return batch(peers);
      },
      [batch](set_atom, expect_atom, force_atom, strs peers, strs, strs) {
        return batch(peers);
      },
      [](backup_atom, str) -> caf::result<uint64_t> { return refuse(); },
      [](get_atom, str) -> caf::result<cursor_lookup> { return refuse(); },
      [](get_atom, start_atom, str) -> caf::result<std::string> {
        return refuse();
      },
      [mode](list_atom) -> caf::result<std::vector<cursor_entry>> {
        if (mode == "second-chunk")
          return std::vector<cursor_entry>{};
        return refuse();
      },
      [mode, lists](list_atom, str, uint32_t) -> caf::result<cursor_page> {
        if (mode == "second-chunk")
          return cursor_page{};
        if (mode == "lists-busy" || (mode == "lists-busy-3" && ++*lists <= 3))
          return caf::make_error(errc::invalid_list_request,
                                 "16 paged lists run already; retry later "
                                 "(fake node)");
        if (mode == "lists-busy-3")
          return cursor_page{
              {cursor_entry{"p", "5-0", 1714557600123, true}}, "p", false};
        return refuse();
      },
      [](dirty_atom) -> caf::result<uint64_t> { return refuse(); },
      [](flush_atom) -> caf::result<uint64_t> { return refuse(); },
      [](delete_atom, str) -> caf::result<bool> { return refuse(); },
      [](checkpoint_atom) -> caf::result<checkpoint_info> { return refuse(); },
      [mode](stats_atom) -> caf::result<cursor_stats> {
        if (mode == "stopped")
          return caf::make_error(errc::stopped,
                                 "the store terminated (fake node)");
        // What a front answers when its store is gone or does not answer it
        // in time (the store forwarder's mapping).
        if (mode == "unavailable")
          return caf::make_error(errc::unavailable,
                                 "the store is gone; the request was not "
                                 "sent (fake node)");
        if (mode == "timeout")
          return caf::make_error(errc::timeout,
                                 "no answer from the store within 30s "
                                 "(fake node)");
        cursor_stats x;
        x.entries = 2;
        x.closed = true;
        x.last_flush_unix_ms = 1714557600123;
        return x;
      },
      [](close_atom) -> caf::result<uint64_t> { return refuse(); },
  };
}

} // namespace

int main(int argc, char** argv) {
  static const std::set<std::string> modes{
      "closed",       "stopped",    "unavailable", "timeout",
      "second-chunk", "lists-busy", "lists-busy-3"};
  if (argc != 2 || modes.count(argv[1]) == 0) {
    std::cerr << "usage: cursor_fake_node "
                 "closed|stopped|unavailable|timeout|second-chunk|"
                 "lists-busy|lists-busy-3\n";
    return 64;
  }
  // Blocked in every thread; taken below with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  register_types(cfg);
  cfg.set("middleman.app-identifiers",
          std::vector<std::string>{app::app_identifier});
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto store = sys.spawn(fake_store, std::string{argv[1]});
  auto port = sys.middleman().publish(store, 0, "127.0.0.1");
  if (!port) {
    std::cerr << "cannot publish: " << caf::to_string(port.error()) << '\n';
    caf::anon_send_exit(store, caf::exit_reason::kill);
    return EXIT_FAILURE;
  }
  std::cout << "listening on 127.0.0.1:" << *port << std::endl;
  int signo = 0;
  sigwait(&signals, &signo);
  sys.middleman().close(*port);
  caf::anon_send_exit(store, caf::exit_reason::kill);
  return EXIT_SUCCESS;
}
