#include "mock_writer.hpp"

#include <caf/all.hpp>

#include "cursor_actor/error.hpp"

namespace test {

namespace {

// Commits or fails one batch by the next scripted outcome.
caf::expected<uint64_t> settle(mock_script& script,
                               const cursor::write_batch& batch) {
  caf::error outcome;
  if (!script.write_outcomes.empty()) {
    outcome = script.write_outcomes.front();
    script.write_outcomes.pop_front();
  }
  if (outcome)
    return outcome;
  for (auto& op : batch.ops) {
    if (op.erase) {
      script.disk.erase(op.peer);
      script.disk_times.erase(op.peer);
    } else {
      script.disk[op.peer] = op.stream_id;
      script.disk_times[op.peer] = op.updated_at;
    }
  }
  return static_cast<uint64_t>(batch.ops.size());
}

caf::expected<uint64_t> backup(mock_script& script, const std::string& path) {
  if (!script.backup_outcomes.empty()) {
    auto outcome = script.backup_outcomes.front();
    script.backup_outcomes.pop_front();
    if (outcome)
      return outcome;
  }
  script.backups.emplace_back(path, script.disk);
  return static_cast<uint64_t>(script.disk.size());
}

caf::expected<std::vector<cursor::cursor_entry>>
read_page(mock_script& script, const std::string& after, uint32_t limit) {
  if (script.fail_lists)
    return storage_error(10, "disk I/O error");
  std::vector<cursor::cursor_entry> rows;
  for (auto i = script.disk.upper_bound(after);
       i != script.disk.end() && rows.size() < limit; ++i) {
    auto t = script.disk_times.find(i->first);
    rows.push_back(cursor::cursor_entry{
        i->first, i->second, t == script.disk_times.end() ? 1 : t->second,
        true});
  }
  return rows;
}

// Joins a piece to the attempt in progress, as the real writer does.
void take(mock_script& script, uint64_t token, cursor::write_batch& piece) {
  if (token != script.pending_token) {
    script.dropped_pieces += script.pending_pieces;
    script.pending = cursor::write_batch{};
    script.pending_pieces = 0;
    script.pending_token = token;
  }
  script.pending_pieces += 1;
  for (auto& op : piece.ops)
    script.pending.ops.push_back(std::move(op));
}

mock_writer_actor::behavior_type
mock_writer(mock_writer_actor::pointer self,
            std::shared_ptr<mock_script> script) {
  return {
      [script](cursor::load_atom) {
        std::vector<cursor::stored_cursor> rows;
        for (auto& kvp : script->disk) {
          auto t = script->disk_times.find(kvp.first);
          rows.push_back(cursor::stored_cursor{
              kvp.first, kvp.second,
              t == script->disk_times.end() ? 1 : t->second});
        }
        return rows;
      },
      [script](cursor::write_atom, uint64_t token, cursor::write_batch& piece) {
        take(*script, token, piece);
      },
      [self, script](cursor::write_atom, uint64_t token,
                     cursor::write_batch& piece,
                     cursor::commit_atom) -> caf::result<uint64_t> {
        take(*script, token, piece);
        cursor::write_batch batch = std::move(script->pending);
        cursor::sort_by_peer(batch.ops);
        script->pending = cursor::write_batch{};
        script->pending_token = 0;
        script->pieces_of.push_back(script->pending_pieces);
        script->pending_pieces = 0;
        script->batches.push_back(batch);
        if (script->hold_writes) {
          auto rp = self->make_response_promise<uint64_t>();
          script->held.emplace_back(batch, rp);
          return rp;
        }
        return settle(*script, batch);
      },
      [script](
          cursor::checkpoint_atom) -> caf::result<cursor::checkpoint_info> {
        script->checkpoints += 1;
        if (script->checkpoint_outcomes.empty())
          return cursor::checkpoint_info{false, 3, 3};
        auto outcome = script->checkpoint_outcomes.front();
        script->checkpoint_outcomes.pop_front();
        if (!outcome)
          return outcome.error();
        return *outcome;
      },
      [self, script](cursor::backup_atom,
                     const std::string& path) -> caf::result<uint64_t> {
        if (script->hold_backups) {
          auto rp = self->make_response_promise<uint64_t>();
          script->held_backups.emplace_back(path, rp);
          return rp;
        }
        return backup(*script, path);
      },
      [self, script](
          cursor::list_atom, const std::string& after,
          uint32_t limit) -> caf::result<std::vector<cursor::cursor_entry>> {
        script->lists += 1;
        if (script->hold_lists) {
          auto rp = self->make_response_promise<
              std::vector<cursor::cursor_entry>>();
          script->held_lists.emplace_back(after, limit, rp);
          return rp;
        }
        return read_page(*script, after, limit);
      },
      [self, script](cursor::close_atom) {
        script->closes += 1;
        if (!script->stay_after_close)
          self->quit();
        return cursor::ok_atom_v;
      },
      [script](release_atom) {
        auto lists = std::move(script->held_lists);
        script->held_lists.clear();
        for (auto& [after, limit, rp] : lists) {
          auto res = read_page(*script, after, limit);
          if (res)
            rp.deliver(*res);
          else
            rp.deliver(res.error());
        }
        auto backups = std::move(script->held_backups);
        script->held_backups.clear();
        for (auto& [path, rp] : backups) {
          auto res = backup(*script, path);
          if (res)
            rp.deliver(*res);
          else
            rp.deliver(res.error());
        }
        auto held = std::move(script->held);
        script->held.clear();
        for (auto& [batch, rp] : held) {
          auto res = settle(*script, batch);
          if (res)
            rp.deliver(*res);
          else
            rp.deliver(res.error());
        }
      },
  };
}

} // namespace

cursor::writer_actor spawn_mock_writer(caf::actor_system& sys,
                                       std::shared_ptr<mock_script> script) {
  auto hdl = sys.spawn(mock_writer, std::move(script));
  return caf::actor_cast<cursor::writer_actor>(hdl);
}

caf::error busy_error(int rc) {
  return caf::make_error(cursor::errc::busy, "write: SQLite error "
                                                 + std::to_string(rc)
                                                 + " (database is locked)");
}

caf::error storage_error(int rc, const std::string& text) {
  return caf::make_error(cursor::errc::storage_error, "write: SQLite error "
                                                          + std::to_string(rc)
                                                          + " (" + text + ")");
}

} // namespace test
