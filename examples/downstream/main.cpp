// Uses the installed cursor_actor package: opens a store, records a cursor,
// flushes it, closes the store, opens the file again and reads the cursor
// back. Exits 0 when every step worked.
//
//   downstream DB_PATH

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "cursor_actor/cursor_actor.hpp"

namespace {

using namespace std::chrono_literals;

struct config : caf::actor_system_config {
  config() { cursor::register_types(*this); }
};

int fail(const std::string& what) {
  std::cerr << "downstream: " << what << std::endl;
  return EXIT_FAILURE;
}

// Opens the store at `path`, runs `body` with it, stops it.
template <class Body>
bool with_store(caf::actor_system& sys, const std::string& path, Body body) {
  cursor::cursor_options opts;
  opts.storage.db_path = path;
  auto store = cursor::spawn_cursor_store(sys, opts);
  if (!store) {
    std::cerr << "downstream: cannot open '" << path
              << "': " << cursor::render(store.error()) << std::endl;
    return false;
  }
  cursor::scoped_store guard{sys, *store};
  return body(*store);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2)
    return fail("usage: downstream DB_PATH");
  // The headers and the library linked in come from the same installation.
  if (std::strcmp(cursor::version, cursor::library_version()) != 0)
    return fail(std::string{"headers "} + cursor::version + ", library "
                + cursor::library_version());
  static_assert(CURSOR_ACTOR_VERSION_MAJOR == 0
                && CURSOR_ACTOR_VERSION_MINOR == 2);
  config cfg;
  caf::actor_system sys{cfg};
  const std::string peer = "uk.node.leeds-2";
  bool ok = with_store(sys, argv[1], [&](const cursor::cursor_actor& store) {
    caf::scoped_actor self{sys};
    bool done = false;
    self->request(store, 10s, cursor::set_atom_v, peer, "1700000000000-5")
        .receive([&](cursor::ok_atom) { done = true; },
                 [](caf::error& err) {
                   std::cerr << "downstream: set: " << cursor::render(err)
                             << std::endl;
                 });
    if (!done)
      return false;
    done = false;
    self->request(store, 10s, cursor::flush_atom_v)
        .receive([&](uint64_t rows) { done = rows == 1; },
                 [](caf::error& err) {
                   std::cerr << "downstream: flush: " << cursor::render(err)
                             << std::endl;
                 });
    return done;
  });
  if (!ok)
    return fail("the first run failed");
  std::string found;
  ok = with_store(sys, argv[1], [&](const cursor::cursor_actor& store) {
    caf::scoped_actor self{sys};
    self->request(store, 10s, cursor::get_atom_v, peer)
        .receive(
            [&](const cursor::cursor_lookup& x) {
              if (x.found && x.durable)
                found = x.stream_id;
            },
            [](caf::error& err) {
              std::cerr << "downstream: get: " << cursor::render(err)
                        << std::endl;
            });
    return !found.empty();
  });
  if (!ok || found != "1700000000000-5")
    return fail("the cursor did not survive the reopen ('" + found + "')");
  std::cout << "downstream: cursor_actor " << cursor::version << ": " << peer
            << " = " << found << " after a reopen" << std::endl;
  return EXIT_SUCCESS;
}
