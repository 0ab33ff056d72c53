#pragma once

// Factories of the cursor store.

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "cursor_actor/actors.hpp"
#include "cursor_actor/options.hpp"

namespace cursor {

/// Spawns the writer (detached unless `opts.detached_writer` is false), opens
/// the database and loads it, then spawns the cursor actor. Blocks the calling
/// thread (never call it from inside an actor) for at most `opts.open_timeout`.
/// Returns the error of the options, of opening (cannot_open,
/// not_a_database, incompatible_schema, read_only, busy, storage_error) or of
/// a stored row (corrupt_row); no actor survives a failure.
///
/// The store stops on `close` followed by an exit message, or on an exit
/// message alone (it then flushes, checkpoints and closes first). Stop it
/// before the actor system is destroyed: a living actor keeps CAF's
/// destructor waiting. `scoped_store` does this for you.
caf::expected<cursor_actor> spawn_cursor_store(caf::actor_system& sys,
                                               const cursor_options& opts);

/// Stops `store` gracefully (exit message with reason user_shutdown: final
/// flush, checkpoint, close) and waits until it terminated or `timeout`
/// passed. Returns false on timeout. Blocks: never call it from an actor.
bool stop_store(caf::actor_system& sys, const cursor_actor& store,
                caf::timespan timeout);

/// Owns a store handle and stops it on destruction, before the actor system
/// is destroyed (declare it after the system).
class scoped_store {
public:
  scoped_store(caf::actor_system& sys, cursor_actor store,
               caf::timespan stop_timeout = std::chrono::seconds(30));
  scoped_store(const scoped_store&) = delete;
  scoped_store& operator=(const scoped_store&) = delete;
  ~scoped_store();

  const cursor_actor& get() const { return store_; }

private:
  caf::actor_system* sys_;
  cursor_actor store_;
  caf::timespan stop_timeout_;
};

} // namespace cursor
