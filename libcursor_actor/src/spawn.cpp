#include "cursor_actor/spawn.hpp"

#include <caf/all.hpp>

#include "cursor_actor/error.hpp"
#include "cursor_actor/peer_id.hpp"
#include "cursor_actor_internal.hpp"
#include "cursor_state.hpp"
#include "logger.hpp"
#include "writer_actor.hpp"

namespace cursor {

caf::expected<cursor_actor_internal>
spawn_cursor_actor(caf::actor_system& sys, writer_actor writer,
                   std::vector<stored_cursor> rows,
                   const cursor_options& opts) {
  // The cursor actor owns the writer from here on: a refusal stops it, as
  // the actor would have on its way out.
  auto refuse = [&](caf::error err) {
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    return err;
  };
  if (auto err = opts.validate())
    return refuse(std::move(err));
  cursor_table table;
  table.reserve(rows.size());
  for (auto& row : rows) {
    // A row we cannot read is reported, never dropped: dropping it would
    // restart that peer's stream from the beginning without a word.
    if (auto err = validate_peer_id(row.peer))
      return refuse(
          caf::make_error(errc::corrupt_row,
                          "stored row has an invalid peer_id: " + render(err)));
    auto id = stream_id::parse(row.stream_id);
    if (!id)
      return refuse(caf::make_error(errc::corrupt_row,
                                    "stored row of '" + row.peer
                                        + "' has an invalid stream_id: "
                                        + render(id.error())));
    // Moving the peer's string: no second copy of 100k strings at start-up,
    // and nothing freed afterwards that would stay resident.
    table.load(std::move(row.peer), cursor_value{*id, row.updated_at});
  }
  rows = std::vector<stored_cursor>{};
  return sys.spawn(cursor_behavior, std::move(writer), std::move(table), opts);
}

caf::expected<cursor_actor> spawn_cursor_store(caf::actor_system& sys,
                                               const cursor_options& opts) {
  if (auto err = opts.validate())
    return err;
  auto writer = spawn_sqlite_writer(sys, opts.storage, opts.detached_writer);
  caf::expected<std::vector<stored_cursor>> rows{caf::error{}};
  {
    caf::scoped_actor self{sys};
    self->request(writer, opts.open_timeout, load_atom_v)
        .receive([&](std::vector<stored_cursor>& xs) { rows = std::move(xs); },
                 [&](caf::error& err) { rows = std::move(err); });
  }
  if (!rows) {
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    auto err = std::move(rows.error());
    if (err.category() != caf::atom("cursor"))
      err = caf::make_error(errc::cannot_open,
                            "opening '" + opts.storage.db_path
                                + "' failed: " + caf::to_string(err));
    // Returned, not logged: the host decides how to report it.
    return err;
  }
  auto count = rows->size();
  auto store = spawn_cursor_actor(sys, writer, std::move(*rows), opts);
  if (!store) {
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    return std::move(store.error());
  }
  log()->info("opened '{}': {} cursors restored", opts.storage.db_path, count);
  // The host gets the public interface only.
  return cursor_actor{std::move(*store)};
}

bool stop_store(caf::actor_system& sys, const cursor_actor& store,
                caf::timespan timeout) {
  if (!store)
    return true;
  caf::scoped_actor self{sys};
  self->monitor(store);
  self->send_exit(store, caf::exit_reason::user_shutdown);
  bool stopped = false;
  self->receive([&](const caf::down_msg&) { stopped = true; },
                caf::after(timeout) >> [] {});
  return stopped;
}

scoped_store::scoped_store(caf::actor_system& sys, cursor_actor store,
                           caf::timespan stop_timeout)
    : sys_(&sys), store_(std::move(store)), stop_timeout_(stop_timeout) {
  // nop
}

scoped_store::~scoped_store() {
  if (store_ && !stop_store(*sys_, store_, stop_timeout_)) {
    log()->error(
        "the cursor store did not stop within {} ms; killing it",
        std::chrono::duration_cast<std::chrono::milliseconds>(stop_timeout_)
            .count());
    caf::anon_send_exit(store_, caf::exit_reason::kill);
  }
}

} // namespace cursor
