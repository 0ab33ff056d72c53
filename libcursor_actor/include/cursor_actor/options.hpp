#pragma once

// Configuration of the cursor store, settable in code or from CAF's config
// system under the `cursor.` prefix (INI group `[cursor]`, CLI
// `--cursor.db-path=...`).

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/settings.hpp>
#include <caf/timespan.hpp>

namespace cursor {

/// Backoff for SQLITE_BUSY / SQLITE_LOCKED: attempt n (n >= 1) that fails
/// busy is retried after min(base_delay * multiplier^(n-1), max_delay), up to
/// `max_attempts` attempts in all. The product saturates at `max_delay`, so
/// any multiplier is safe (no overflow, never a negative delay).
struct retry_policy {
  caf::timespan base_delay = std::chrono::milliseconds(10);
  uint32_t multiplier = 2;
  caf::timespan max_delay = std::chrono::milliseconds(500);
  uint32_t max_attempts = 5;

  /// The delay before attempt `attempt + 1`, after attempt `attempt` failed.
  caf::timespan delay_after(uint32_t attempt) const;
};

/// How the SQLite file is opened.
struct storage_options {
  /// Path of the database file, passed to SQLite as a plain path.
  std::string db_path = "data/replication_cursors.db";
  /// `PRAGMA journal_mode`: wal (default), delete, truncate, persist.
  std::string journal_mode = "wal";
  /// `PRAGMA synchronous`: off, normal, full (default), extra. full syncs
  /// the WAL at every commit, so an acknowledged flush survives a power
  /// loss; normal only survives a process crash. Measured (docs/
  /// RELIABILITY.md): full adds 1-11 ms per flush, 0.03-0.2 % of the
  /// default 5 s flush interval; back-to-back flushes of one row are ~4x
  /// slower.
  std::string synchronous = "full";
  /// `PRAGMA max_page_count` when non-zero: caps the file size, making a
  /// full disk reproducible (writes then fail with SQLITE_FULL).
  uint64_t max_page_count = 0;
  /// WAL checkpointing. 0: SQLite's automatic checkpoint, run inside the
  /// COMMIT that pushes the WAL past 1000 pages (that commit pays for it).
  /// n > 0: automatic checkpoints off (`wal_autocheckpoint=0`); the writer
  /// runs a PASSIVE checkpoint after every n committed write transactions,
  /// after the reply, between writes. Measured in docs/PERFORMANCE.md:
  /// periodic checkpoints cut the p99 of small flushes about tenfold.
  uint64_t checkpoint_every = 20;
  /// Files an online backup must never be written to, besides the database
  /// and the files SQLite keeps beside it (always refused): a host's own
  /// files such as its lock and metrics files. Compared as the backup is,
  /// after resolving links in the directory. Set in code (a host fills it
  /// from its start-up file check); not a configuration key.
  std::vector<std::string> protected_files;

  /// Checks every value (the pragma values against their lists: they end up
  /// in SQL); returns `errc::invalid_option` naming the first bad option, or
  /// an empty error. `sqlite::database::open` calls it too.
  caf::error validate() const;
};

/// Everything the factory needs.
struct cursor_options {
  storage_options storage;
  /// Automatic flush interval; zero disables the timer.
  caf::timespan flush_interval = std::chrono::seconds(5);
  /// Flush early once this many peers are dirty; zero disables it. After a
  /// failed write the threshold starts no write for `retry.max_delay`.
  uint64_t dirty_threshold = 0;
  retry_policy retry;
  /// How long the factory waits for the writer to open and load.
  caf::timespan open_timeout = std::chrono::seconds(30);
  /// Spawn the writer detached (own thread). Tests on the deterministic
  /// scheduler turn this off.
  bool detached_writer = true;
  /// Hash buckets one slice of a paged `list` scans per message, when a page
  /// is scanned from memory (the writer cannot read it; normally the writer
  /// reads each page from the database, see docs/PROTOCOL.md).
  size_t list_slice_buckets = 16384;
  /// Peers one message of the cursor actor hands to the writer (a piece of
  /// a write round) or clears after a commit: the bound of the work a flush
  /// does per message, whatever the number of dirty peers (issue 18).
  size_t write_piece_size = 4096;

  /// Checks every value; returns `errc::invalid_option` naming the first bad
  /// option, or an empty error.
  caf::error validate() const;
};

/// Declares every `cursor.*` option, so that CAF parses them from the INI file
/// and the command line. Call it from the constructor of your
/// `actor_system_config` subclass: `cursor::add_options(custom_options_);`.
void add_options(caf::config_option_set& options);

/// Reads the `cursor.*` options of `cfg` (defaults for unset ones), refuses
/// unknown keys in the group, and validates the values.
///
/// Beware: when CAF parses an INI file against declared options, it drops a
/// value of the wrong type silently (`flush-interval=5` without a unit, a
/// number for a string) and the default stays. To catch those, also pass the
/// file's raw content to the overload below:
/// `read_options(*caf::actor_system_config::parse_config_file(path))`.
caf::expected<cursor_options> read_options(const caf::actor_system_config& cfg);

/// Reads the `cursor` group of raw settings, e.g. an INI file parsed without
/// type checks, and refuses values of the wrong type besides unknown keys and
/// invalid values. Returns `errc::invalid_option` naming the option.
caf::expected<cursor_options> read_options(const caf::settings& content);

} // namespace cursor
