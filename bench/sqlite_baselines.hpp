#pragma once

// The baselines written with the bare SQLite C API, no actors: the reference
// strategy (one autocommit upsert per row, re-prepared each time, as the Rust
// CursorStore does), the floor (one transaction, cached statement, sorted
// keys), a bare SELECT into a reserved map, the lock holder, and the WAL
// checkpoint experiment. Every function throws std::runtime_error on a SQLite
// failure: a benchmark that silently measures an error is worse than none.

#include <cstdint>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace bench::sql {

/// One dirty cursor as a flush sees it.
struct update {
  const std::string* peer = nullptr;
  const std::string* stream_id = nullptr;
  int64_t updated_at = 0;
};

/// The table layouts: v1 (the Rust store's table and this component's up to
/// schema 1: a rowid table plus its primary-key index) and v2 (the same
/// columns clustered on peer_id, `WITHOUT ROWID`, user_version 2).
enum class schema { v1, v2 };

/// Creates `path` with the given table and fills it with one row per peer
/// (stream ID ids[i] for peers[i]), then checkpoints (TRUNCATE). Rows are
/// inserted in the order of `peers` (key order: rowids follow the keys) or,
/// when `shuffled`, in a seeded random order (as peers appear over time: a
/// sorted flush then touches a rowid table's pages at random).
/// `page_size` 0 keeps SQLite's default.
void prefill(const std::string& path, const std::vector<std::string>& peers,
             const std::vector<std::string>& ids, bool shuffled, uint64_t seed,
             schema layout = schema::v1, int page_size = 0);

/// A connection opened like the store opens its own: WAL,
/// synchronous=NORMAL, busy timeout 0, automatic checkpoint as given
/// (SQLite's default is 1000 pages; 0 disables it).
class connection {
public:
  explicit connection(const std::string& path, int autocheckpoint = 1000);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  /// The reference strategy: each row in its own autocommit upsert, the
  /// statement prepared and finalized per row, in the order given (the
  /// reference iterates a hash map). Returns seconds.
  double reference_flush(const std::vector<update>& xs);

  /// The floor: sorts the keys, then one BEGIN IMMEDIATE ... COMMIT through
  /// a cached statement with static bindings. Returns seconds, sort
  /// included.
  double floor_flush(const std::vector<update>& xs);

  /// PRAGMA wal_checkpoint(PASSIVE). Returns seconds.
  double checkpoint_passive();

  /// PRAGMA wal_checkpoint(TRUNCATE). Returns seconds.
  double checkpoint_truncate();

  sqlite3* get() const { return db_; }

private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
};

/// The start-up baseline: opens `path` and SELECTs every row into an
/// `unordered_map<string, pair<string, int64>>` reserved for `expected`
/// rows. Returns seconds; `rows` receives the number of rows read.
double bare_load(const std::string& path, size_t expected, size_t& rows);

/// Bytes per row held by a load: the RSS delta as the process holds it, the
/// RSS delta after `malloc_trim`, and the heap bytes in use (mallinfo2).
struct memory_figures {
  double rss = 0;
  double rss_trimmed = 0;
  double heap = 0;
};

/// The bare load's memory per row, the SQLite connection still open (call it
/// in a fresh process).
memory_figures bare_load_memory(const std::string& path, size_t expected);

/// Reads every (peer_id, stream_id) of `path`, returns the row count and an
/// order-independent digest of their content, for checking that the store
/// and the baselines wrote the same rows.
struct digest {
  size_t rows = 0;
  uint64_t hash = 0;
  friend bool operator==(const digest& a, const digest& b) {
    return a.rows == b.rows && a.hash == b.hash;
  }
};
digest content_digest(const std::string& path);

/// The helper process that holds `BEGIN EXCLUSIVE` on `path`: prints
/// "locked" on stdout, holds the lock until its stdin closes, then rolls
/// back. Returns the process exit code.
int hold_lock_main(const std::string& path);

/// The WAL experiment: `flushes` transactions of `rows` random keys each
/// (floor style) on `path`, either with SQLite's automatic checkpoint
/// (period 0) or with it disabled and a PASSIVE checkpoint every `period`
/// flushes, run between flushes as the writer would. Flush and checkpoint
/// durations in seconds.
struct wal_result {
  std::vector<double> flush_seconds;
  std::vector<double> checkpoint_seconds;
};
wal_result wal_experiment(const std::string& path,
                          const std::vector<std::string>& peers, size_t flushes,
                          size_t rows, size_t period, uint64_t seed);

} // namespace bench::sql
