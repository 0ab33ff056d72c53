#pragma once

// A scripted stand-in for the SQLite writer. It implements the whole writer
// interface, keeps a "disk" (what committed transactions wrote), and fails or
// holds writes as the test says.

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <caf/error.hpp>
#include <caf/typed_response_promise.hpp>

#include "writer_actor.hpp"

namespace test {

using release_atom = caf::atom_constant<caf::atom("release")>;
constexpr release_atom release_atom_v = release_atom{};

/// Shared between the test and the mock actor (same thread: the test
/// coordinator runs everything on the test's thread).
struct mock_script {
  /// Outcome of the next writes, in order: an empty error commits, any other
  /// error fails the write. When empty, writes commit.
  std::deque<caf::error> write_outcomes;
  /// When set, writes are held (a slow disk) until `release` is sent.
  bool hold_writes = false;
  /// When set, `close` answers but the writer keeps running (so that a second
  /// close is counted instead of bouncing off a terminated actor).
  bool stay_after_close = false;
  /// Outcome of the next checkpoints, in order; when empty they complete.
  std::deque<caf::expected<cursor::checkpoint_info>> checkpoint_outcomes;

  /// Every batch the writer received, in order: its pieces joined and
  /// sorted by peer, as the real writer commits them.
  std::vector<cursor::write_batch> batches;
  /// The messages of each batch in `batches` (pieces plus the last one).
  std::vector<size_t> pieces_of;
  /// The pieces of the attempt in progress (`pending_token`), and how many
  /// messages brought them.
  uint64_t pending_token = 0;
  cursor::write_batch pending;
  size_t pending_pieces = 0;
  /// Pieces dropped because a piece of another attempt came first.
  size_t dropped_pieces = 0;
  /// What committed batches left on "disk": peer -> stream ID.
  std::map<std::string, std::string> disk;
  /// The `updated_at` committed with each peer of `disk` (1 if none was:
  /// rows a test put on "disk" itself).
  std::map<std::string, int64_t> disk_times;
  /// Outcome of the next backups, in order; when empty they succeed.
  std::deque<caf::error> backup_outcomes;
  /// Every backup that succeeded: the path and what was on "disk" then
  /// (the copy).
  std::vector<std::pair<std::string, std::map<std::string, std::string>>>
      backups;
  /// When set, page reads (`list`, after, limit) fail with a storage error,
  /// so the store falls back to scanning its memory; otherwise they answer
  /// from "disk".
  bool fail_lists = false;
  /// When set, page reads and backups are held (a slow disk) until
  /// `release` is sent; then they are answered as if they had not been.
  bool hold_lists = false;
  bool hold_backups = false;
  /// Requests seen, for checks.
  size_t lists = 0;
  size_t checkpoints = 0;
  size_t closes = 0;
  /// Held page reads and backups.
  std::vector<std::tuple<
      std::string, uint32_t,
      caf::typed_response_promise<std::vector<cursor::cursor_entry>>>>
      held_lists;
  std::vector<std::pair<std::string, caf::typed_response_promise<uint64_t>>>
      held_backups;
  /// Held writes.
  std::vector<
      std::pair<cursor::write_batch, caf::typed_response_promise<uint64_t>>>
      held;
};

/// The mock's interface: the writer's plus a message that settles held
/// writes (each by the next outcome in `write_outcomes`), page reads and
/// backups.
using mock_writer_actor
    = cursor::writer_actor::extend<caf::reacts_to<release_atom>>;

/// Spawns the mock writer (not detached) in `sys`.
cursor::writer_actor spawn_mock_writer(caf::actor_system& sys,
                                       std::shared_ptr<mock_script> script);

/// Error values a real writer produces, for scripting.
caf::error busy_error(int rc = 5);
caf::error storage_error(int rc, const std::string& text);

} // namespace test
