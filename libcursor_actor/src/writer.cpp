// The writer actor: owns the SQLite connection. Every call here may block;
// that is why it runs detached, on its own thread, in production.

#include <iterator>
#include <optional>

#include <caf/all.hpp>

#include "cursor_actor/error.hpp"
#include "logger.hpp"
#include "sqlite/backup.hpp"
#include "sqlite/database.hpp"
#include "writer_actor.hpp"

namespace cursor {

namespace {

struct writer_state {
  storage_options opts;
  std::optional<sqlite::database> db;
  // The pieces received of the attempt `pending_token`.
  uint64_t pending_token = 0;
  write_batch pending;
  static inline const char* name = "cursor_writer";
};

// Appends `piece` to `batch`, moving its strings.
void take_piece(write_batch& batch, write_batch& piece) {
  if (batch.ops.empty()) {
    batch = std::move(piece);
    return;
  }
  batch.ops.insert(batch.ops.end(), std::make_move_iterator(piece.ops.begin()),
                   std::make_move_iterator(piece.ops.end()));
}

caf::error not_open() {
  return caf::make_error(errc::closed, "the database is not open");
}

writer_actor::behavior_type
writer(writer_actor::stateful_pointer<writer_state> self,
       storage_options opts) {
  self->state.opts = std::move(opts);
  return {
      [self](load_atom) -> caf::result<std::vector<stored_cursor>> {
        auto& st = self->state;
        if (!st.db) {
          auto db = sqlite::database::open(st.opts);
          if (!db) {
            // No half-open writer: report and terminate.
            auto rp = self->make_response_promise<std::vector<stored_cursor>>();
            rp.deliver(db.error());
            self->quit(db.error());
            return rp;
          }
          st.db.emplace(std::move(*db));
        }
        return st.db->load();
      },
      [self](write_atom, uint64_t token, write_batch& piece) {
        auto& st = self->state;
        if (token != st.pending_token) {
          st.pending = write_batch{};
          st.pending_token = token;
        }
        take_piece(st.pending, piece);
      },
      [self](write_atom, uint64_t token, write_batch& piece,
             commit_atom) -> caf::result<uint64_t> {
        auto& st = self->state;
        write_batch batch;
        if (token == st.pending_token)
          batch = std::move(st.pending);
        st.pending = write_batch{};
        st.pending_token = 0;
        take_piece(batch, piece);
        if (!st.db)
          return not_open();
        sort_by_peer(batch.ops);
        auto rows = st.db->write(batch);
        if (!rows)
          return std::move(rows.error());
        // Answer first: a periodic checkpoint must not delay the reply.
        auto rp = self->make_response_promise<uint64_t>();
        rp.deliver(*rows);
        st.db->after_write();
        return rp;
      },
      [self](checkpoint_atom) -> caf::result<checkpoint_info> {
        auto& st = self->state;
        if (!st.db)
          return not_open();
        return st.db->checkpoint();
      },
      [self](backup_atom, const std::string& path) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (!st.db)
          return not_open();
        // The database as configured is guarded too: SQLite may have opened
        // it under its resolved name.
        auto guarded = sqlite::database_side_files(st.opts.db_path);
        guarded.insert(guarded.end(), st.opts.protected_files.begin(),
                       st.opts.protected_files.end());
        auto rows = sqlite::backup_to(st.db->handle(), path, guarded);
        if (!rows) {
          log()->error("backup to '{}' failed: {}", path, render(rows.error()));
          return std::move(rows.error());
        }
        log()->info("backup: wrote {} cursors to '{}'", *rows, path);
        return *rows;
      },
      [self](list_atom, const std::string& after,
             uint32_t limit) -> caf::result<std::vector<cursor_entry>> {
        auto& st = self->state;
        if (!st.db)
          return not_open();
        auto rows = st.db->page(after, limit);
        if (!rows)
          return std::move(rows.error());
        // As entries, made here on the writer's thread: a page whose range
        // has no uncommitted change is this vector, moved (page_overlay.hpp).
        std::vector<cursor_entry> entries;
        entries.reserve(rows->size());
        for (auto& row : *rows)
          entries.push_back(cursor_entry{std::move(row.peer),
                                         std::move(row.stream_id),
                                         row.updated_at, true});
        return entries;
      },
      [self](close_atom) -> caf::result<ok_atom> {
        auto& st = self->state;
        caf::error err;
        if (st.db) {
          auto info = st.db->checkpoint();
          if (!info)
            log()->warn("final checkpoint of '{}' failed: {}", st.opts.db_path,
                        render(info.error()));
          else if (!info->complete())
            log()->warn("final checkpoint of '{}' incomplete: {} of {} frames",
                        st.opts.db_path, info->checkpointed_frames,
                        info->log_frames);
          err = st.db->close();
          st.db.reset();
        }
        auto rp = self->make_response_promise<ok_atom>();
        if (err)
          rp.deliver(err);
        else
          rp.deliver(ok_atom_v);
        self->quit();
        return rp;
      },
  };
}

} // namespace

writer_actor spawn_sqlite_writer(caf::actor_system& sys,
                                 const storage_options& storage,
                                 bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(writer, storage);
  return sys.spawn(writer, storage);
}

} // namespace cursor
