// Embedding the cursor store in a CAF application, the way a replication
// tailer uses it. One tailer actor per peer:
//   1. asks the store where to resume: get_or_start(peer) ("0" = from the
//      beginning of the peer's stream);
//   2. applies batches of events read after that position (simulated here)
//      and, after each applied batch, records the last applied stream ID with
//      set(peer, id): in memory at once, persisted by the store's debounced
//      flush;
//   3. on shutdown the host flushes and stops the store, which checkpoints
//      and closes the database.
// A crash between two flushes re-applies at most one flush interval of
// events after the restart; applies are idempotent in a replication mesh.
//
//   embedded_tailer --cursor.db-path="tailer.db"
//                   --tailer.peers='["uk.node.a","uk.node.b"]'
//                   --tailer.batches=5 --tailer.batch-size=100

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "cursor_actor/cursor_actor.hpp"

namespace {

using namespace std::chrono_literals;

using apply_atom = caf::atom_constant<caf::atom("apply")>;

// One line per call: the tailers run on several threads, and a single write
// of a whole line keeps their lines from interleaving.
void say(const std::string& line) {
  std::cout << (line + '\n') << std::flush;
}

struct tailer_config : caf::actor_system_config {
  std::vector<std::string> peers{"uk.node.manchester-1", "uk.node.leeds-2"};
  size_t batches = 5;
  size_t batch_size = 100;

  tailer_config() {
    cursor::add_options(custom_options_);
    opt_group{custom_options_, "tailer"}
        .add(peers, "peers", "peers to tail")
        .add(batches, "batches", "batches to apply per peer")
        .add(batch_size, "batch-size", "events per batch");
    cursor::register_types(*this);
  }
};

struct tailer_state {
  std::string peer;
  cursor::stream_id position;
  size_t batches_left = 0;
  size_t batch_size = 0;
  static inline const char* name = "tailer";
};

// Applies `batches` batches of simulated events of `peer`, recording the
// cursor after each one.
caf::behavior tailer(caf::stateful_actor<tailer_state>* self,
                     cursor::cursor_actor store, std::string peer,
                     size_t batches, size_t batch_size) {
  auto& st = self->state;
  st.peer = std::move(peer);
  st.batches_left = batches;
  st.batch_size = batch_size;
  auto fail = [self](const caf::error& err) {
    std::cerr << "tailer " << self->state.peer
              << ": store error: " << cursor::render(err) << std::endl;
    self->quit(err);
  };
  // 1. Where to resume.
  self->request(store, 10s, cursor::get_atom_v, cursor::start_atom_v, st.peer)
      .then(
          [self](const std::string& text) {
            auto id = cursor::stream_id::parse(text);
            if (!id) {
              self->quit(id.error());
              return;
            }
            self->state.position = *id;
            say("tailer " + self->state.peer + ": resuming after " + text);
            self->send(self, apply_atom::value);
          },
          fail);
  return {
      [self, store, fail](apply_atom) {
        auto& st = self->state;
        if (st.batches_left == 0) {
          say("tailer " + st.peer + ": caught up at "
              + st.position.to_string());
          self->quit();
          return;
        }
        // 2. "Apply" the next batch: `batch_size` events strictly after the
        // cursor (the read is exclusive), one millisecond apart; the last one
        // is the new position.
        st.position = cursor::stream_id{st.position.ms + st.batch_size, 0};
        --st.batches_left;
        // ... and record how far we got. Only then read the next batch.
        self->request(store, 10s, cursor::set_atom_v, st.peer,
                      st.position.to_string())
            .then([self](
                      cursor::ok_atom) { self->send(self, apply_atom::value); },
                  fail);
      },
  };
}

} // namespace

int main(int argc, char** argv) {
  // Before any thread: no allocator backlog pauses the store
  // (cursor_actor/allocator.hpp).
  cursor::limit_allocator_pauses();
  tailer_config cfg;
  if (auto err = cfg.parse(argc, argv, "embedded_tailer.ini")) {
    std::cerr << "embedded_tailer: " << caf::actor_system_config::render(err)
              << std::endl;
    return EXIT_FAILURE;
  }
  if (cfg.cli_helptext_printed)
    return EXIT_SUCCESS;
  auto opts = cursor::read_options(cfg);
  if (!opts) {
    std::cerr << "embedded_tailer: " << cursor::render(opts.error())
              << std::endl;
    return EXIT_FAILURE;
  }
  caf::actor_system sys{cfg};
  // Opens the database (blocking; from main, never from an actor).
  auto store = cursor::spawn_cursor_store(sys, *opts);
  if (!store) {
    std::cerr << "embedded_tailer: cannot open '" << opts->storage.db_path
              << "': " << cursor::render(store.error()) << std::endl;
    return EXIT_FAILURE;
  }
  int code = EXIT_SUCCESS;
  {
    caf::scoped_actor self{sys};
    size_t running = 0;
    for (auto& peer : cfg.peers) {
      auto t = sys.spawn(tailer, *store, peer, cfg.batches, cfg.batch_size);
      self->monitor(t);
      ++running;
    }
    bool timed_out = false;
    while (running > 0 && !timed_out)
      self->receive(
          [&](caf::down_msg& msg) {
            --running;
            if (msg.reason)
              code = EXIT_FAILURE;
          },
          caf::after(60s) >> [&] { timed_out = true; });
    if (timed_out) {
      std::cerr << "embedded_tailer: tailers did not finish within 60s"
                << std::endl;
      code = EXIT_FAILURE;
    }
    // 3. Shutdown: an explicit flush, so the host knows the outcome...
    self->request(*store, 30s, cursor::flush_atom_v)
        .receive(
            [&](uint64_t rows) {
              say("flushed " + std::to_string(rows) + " rows");
            },
            [&](caf::error& err) {
              std::cerr << "embedded_tailer: final flush failed: "
                        << cursor::render(err) << std::endl;
              code = EXIT_FAILURE;
            });
  }
  // ... then stop the store (checkpoint + close) before the actor system
  // goes away: a living store would keep its destructor waiting.
  if (!cursor::stop_store(sys, *store, 30s)) {
    std::cerr << "embedded_tailer: the store did not stop in time" << std::endl;
    caf::anon_send_exit(*store, caf::exit_reason::kill);
    code = EXIT_FAILURE;
  }
  return code;
}
