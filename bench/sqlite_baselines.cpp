#include "sqlite_baselines.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include <malloc.h>
#include <sqlite3.h>

#include "stats.hpp"

namespace bench::sql {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what) {
  throw std::runtime_error(
      what + ": " + sqlite3_errstr(rc) + " (" + std::to_string(rc) + ")"
      + (db ? std::string{": "} + sqlite3_errmsg(db) : std::string{}));
}

void exec(sqlite3* db, const char* sql) {
  char* msg = nullptr;
  auto rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  sqlite3_free(msg);
  if (rc != SQLITE_OK)
    fail(db, rc, sql);
}

sqlite3_stmt* prepare(sqlite3* db, const char* sql, unsigned flags) {
  sqlite3_stmt* stmt = nullptr;
  auto rc = sqlite3_prepare_v3(db, sql, -1, flags, &stmt, nullptr);
  if (rc != SQLITE_OK)
    fail(db, rc, sql);
  return stmt;
}

void step_done(sqlite3* db, sqlite3_stmt* stmt, const char* what) {
  auto rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    fail(db, rc, what);
  sqlite3_reset(stmt);
}

sqlite3* open_wal(const std::string& path, int autocheckpoint) {
  sqlite3* db = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                | SQLITE_OPEN_NOMUTEX,
                            nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(db);
    fail(nullptr, rc, "open " + path);
  }
  sqlite3_busy_timeout(db, 0);
  exec(db, "PRAGMA journal_mode = wal");
  exec(db, "PRAGMA synchronous = normal");
  auto sql = "PRAGMA wal_autocheckpoint = " + std::to_string(autocheckpoint);
  exec(db, sql.c_str());
  return db;
}

constexpr const char* upsert_sql
    = "INSERT INTO cursors (peer_id, stream_id, updated_at) "
      "VALUES (?1, ?2, ?3) ON CONFLICT (peer_id) DO UPDATE SET "
      "stream_id = excluded.stream_id, updated_at = excluded.updated_at";

// The same DDL the store creates.
constexpr const char* schema_sql = "CREATE TABLE IF NOT EXISTS cursors ("
                                   "  peer_id TEXT PRIMARY KEY,"
                                   "  stream_id TEXT NOT NULL,"
                                   "  updated_at INTEGER NOT NULL)";

void bind_update(sqlite3* db, sqlite3_stmt* stmt, const update& x,
                 decltype(SQLITE_STATIC) lifetime) {
  int rc = sqlite3_bind_text(stmt, 1, x.peer->data(),
                             static_cast<int>(x.peer->size()), lifetime);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(stmt, 2, x.stream_id->data(),
                           static_cast<int>(x.stream_id->size()), lifetime);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(stmt, 3, x.updated_at);
  if (rc != SQLITE_OK)
    fail(db, rc, "bind");
}

} // namespace

void prefill(const std::string& path, const std::vector<std::string>& peers,
             const std::vector<std::string>& ids, bool shuffled, uint64_t seed,
             schema layout, int page_size) {
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  if (page_size > 0) {
    // Before WAL mode writes the first page.
    sqlite3* raw = nullptr;
    sqlite3_open(path.c_str(), &raw);
    auto sql = "PRAGMA page_size = " + std::to_string(page_size);
    exec(raw, sql.c_str());
    exec(raw, "VACUUM");
    sqlite3_close(raw);
  }
  auto db = open_wal(path, 1000);
  if (layout == schema::v2)
    exec(db, "CREATE TABLE IF NOT EXISTS cursors (peer_id TEXT PRIMARY KEY,"
             " stream_id TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT "
             "ROWID; PRAGMA user_version = 2");
  else
    exec(db, schema_sql);
  std::vector<size_t> order(peers.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::mt19937_64 rng{seed};
  if (shuffled)
    std::shuffle(order.begin(), order.end(), rng);
  exec(db, "BEGIN IMMEDIATE");
  auto stmt = prepare(db, upsert_sql, 0);
  for (auto i : order) {
    update x{&peers[i], &ids[i], 1700000000000};
    bind_update(db, stmt, x, SQLITE_STATIC);
    step_done(db, stmt, "prefill");
  }
  sqlite3_finalize(stmt);
  exec(db, "COMMIT");
  exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(db);
}

connection::connection(const std::string& path, int autocheckpoint)
    : db_(open_wal(path, autocheckpoint)) {
  begin_ = prepare(db_, "BEGIN IMMEDIATE", SQLITE_PREPARE_PERSISTENT);
  commit_ = prepare(db_, "COMMIT", SQLITE_PREPARE_PERSISTENT);
  upsert_ = prepare(db_, upsert_sql, SQLITE_PREPARE_PERSISTENT);
}

connection::~connection() {
  sqlite3_finalize(begin_);
  sqlite3_finalize(commit_);
  sqlite3_finalize(upsert_);
  sqlite3_close(db_);
}

double connection::reference_flush(const std::vector<update>& xs) {
  auto t0 = clock_type::now();
  for (auto& x : xs) {
    sqlite3_stmt* stmt = nullptr;
    auto rc = sqlite3_prepare_v2(db_, upsert_sql, -1, &stmt, nullptr);
    if (rc != SQLITE_OK)
      fail(db_, rc, "prepare");
    bind_update(db_, stmt, x, SQLITE_TRANSIENT);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
      fail(db_, rc, "reference upsert");
  }
  return seconds_since(t0);
}

double connection::floor_flush(const std::vector<update>& xs) {
  auto t0 = clock_type::now();
  std::vector<const update*> sorted;
  sorted.reserve(xs.size());
  for (auto& x : xs)
    sorted.push_back(&x);
  std::sort(sorted.begin(), sorted.end(), [](const update* a, const update* b) {
    return *a->peer < *b->peer;
  });
  step_done(db_, begin_, "begin");
  for (auto x : sorted) {
    bind_update(db_, upsert_, *x, SQLITE_STATIC);
    step_done(db_, upsert_, "floor upsert");
  }
  step_done(db_, commit_, "commit");
  return seconds_since(t0);
}

double connection::checkpoint_passive() {
  auto t0 = clock_type::now();
  int log = 0;
  int done = 0;
  auto rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE,
                                      &log, &done);
  if (rc != SQLITE_OK)
    fail(db_, rc, "checkpoint");
  return seconds_since(t0);
}

double connection::checkpoint_truncate() {
  auto t0 = clock_type::now();
  auto rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_TRUNCATE,
                                      nullptr, nullptr);
  if (rc != SQLITE_OK)
    fail(db_, rc, "checkpoint");
  return seconds_since(t0);
}

namespace {

using bare_map
    = std::unordered_map<std::string, std::pair<std::string, int64_t>>;

sqlite3* bare_load_into(const std::string& path, bare_map& map) {
  sqlite3* db = nullptr;
  auto rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(db);
    fail(nullptr, rc, "open " + path);
  }
  auto stmt
      = prepare(db, "SELECT peer_id, stream_id, updated_at FROM cursors", 0);
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    auto peer = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    auto peer_len = static_cast<size_t>(sqlite3_column_bytes(stmt, 0));
    auto id = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    auto id_len = static_cast<size_t>(sqlite3_column_bytes(stmt, 1));
    map.emplace(std::piecewise_construct, std::forward_as_tuple(peer, peer_len),
                std::forward_as_tuple(std::string{id, id_len},
                                      sqlite3_column_int64(stmt, 2)));
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE)
    fail(db, rc, "select");
  return db;
}

} // namespace

double bare_load(const std::string& path, size_t expected, size_t& rows) {
  auto t0 = clock_type::now();
  bare_map map;
  map.reserve(expected);
  auto db = bare_load_into(path, map);
  auto result = seconds_since(t0);
  rows = map.size();
  sqlite3_close(db);
  return result;
}

memory_figures bare_load_memory(const std::string& path, size_t expected) {
  malloc_trim(0);
  auto before = rss_bytes();
  auto heap_before = mallinfo2().uordblks;
  bare_map map;
  map.reserve(expected);
  auto db = bare_load_into(path, map);
  auto after = rss_bytes();
  auto heap_after = mallinfo2().uordblks;
  malloc_trim(0);
  auto trimmed = rss_bytes();
  auto rows = static_cast<double>(map.size());
  sqlite3_close(db);
  memory_figures result;
  if (rows > 0) {
    result.rss = static_cast<double>(after - before) / rows;
    result.rss_trimmed = static_cast<double>(trimmed - before) / rows;
    result.heap
        = (static_cast<double>(heap_after) - static_cast<double>(heap_before))
          / rows;
  }
  return result;
}

digest content_digest(const std::string& path) {
  sqlite3* db = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(db);
    fail(nullptr, rc, "open " + path);
  }
  auto stmt = prepare(db, "SELECT peer_id, stream_id FROM cursors", 0);
  digest result;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    // FNV-1a per row, summed: independent of the row order.
    uint64_t h = 1469598103934665603ull;
    for (int col = 0; col < 2; ++col) {
      auto p = sqlite3_column_text(stmt, col);
      auto n = sqlite3_column_bytes(stmt, col);
      for (int i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 1099511628211ull;
      }
      h ^= 0xff;
      h *= 1099511628211ull;
    }
    result.hash += h;
    result.rows += 1;
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (rc != SQLITE_DONE)
    throw std::runtime_error("reading " + path + " failed");
  return result;
}

int hold_lock_main(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr)
      != SQLITE_OK) {
    std::fprintf(stderr, "hold-lock: cannot open %s\n", path.c_str());
    return 1;
  }
  sqlite3_busy_timeout(db, 5000);
  if (sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr)
      != SQLITE_OK) {
    std::fprintf(stderr, "hold-lock: BEGIN EXCLUSIVE failed: %s\n",
                 sqlite3_errmsg(db));
    return 1;
  }
  std::printf("locked\n");
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    // Hold the lock until stdin closes.
  }
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return 0;
}

wal_result wal_experiment(const std::string& path,
                          const std::vector<std::string>& peers, size_t flushes,
                          size_t rows, size_t period, uint64_t seed) {
  wal_result result;
  result.flush_seconds.reserve(flushes);
  connection conn{path, period == 0 ? 1000 : 0};
  std::mt19937_64 rng{seed};
  std::uniform_int_distribution<size_t> pick{0, peers.size() - 1};
  std::vector<std::string> ids(rows);
  std::vector<update> xs(rows);
  for (size_t f = 0; f < flushes; ++f) {
    for (size_t i = 0; i < rows; ++i) {
      ids[i] = std::to_string(1800000000000 + f) + "-" + std::to_string(i);
      xs[i] = update{&peers[pick(rng)], &ids[i], 1800000000000};
    }
    // Duplicate keys would make the upsert count differ; dedupe.
    std::sort(xs.begin(), xs.end(), [](const update& a, const update& b) {
      return *a.peer < *b.peer;
    });
    xs.erase(std::unique(xs.begin(), xs.end(),
                         [](const update& a, const update& b) {
                           return *a.peer == *b.peer;
                         }),
             xs.end());
    std::shuffle(xs.begin(), xs.end(), rng);
    result.flush_seconds.push_back(conn.floor_flush(xs));
    xs.resize(rows);
    if (period > 0 && (f + 1) % period == 0)
      result.checkpoint_seconds.push_back(conn.checkpoint_passive());
  }
  return result;
}

} // namespace bench::sql
