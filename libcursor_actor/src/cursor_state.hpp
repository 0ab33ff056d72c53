#pragma once

// State of the cursor actor. Internal: hosts talk to the actor through
// `cursor_actor` only; the actor runs as `cursor_actor_internal`. The parts,
// each a class in its own file with its invariants in its header and a unit
// suite of its own:
// - cursor_table.hpp        the cursors in memory and the dirty set;
// - write_scheduler.hpp     write rounds: waiters, retries, the threshold;
// - shutdown_sequence.hpp   close and exit: final flush, writer close, stop;
// - paged_list.hpp          the pages of the paged list in progress;
// - retrying_operation.hpp  token, attempts and backoff of a writer request.
// The state is also the ports those classes act through (sending to the
// writer, timers, logging): cursor.cpp implements them, next to the handler
// table.

#include <cstdint>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/typed_response_promise.hpp>

#include "cursor_actor/cursor_entry.hpp"
#include "cursor_actor/options.hpp"
#include "cursor_actor/stats.hpp"
#include "cursor_actor_internal.hpp"
#include "cursor_table.hpp"
#include "paged_list.hpp"
#include "retrying_operation.hpp"
#include "shutdown_sequence.hpp"
#include "write_scheduler.hpp"
#include "writer_actor.hpp"

namespace cursor {

struct cursor_state;

using cursor_pointer = cursor_actor_internal::stateful_pointer<cursor_state>;

/// A TRUNCATE checkpoint, possibly over several attempts.
struct checkpoint_round {
  explicit checkpoint_round(cursor_stats& counters);
  retrying_operation op;
  std::vector<caf::typed_response_promise<checkpoint_info>> waiters;
};

struct cursor_state : write_port, shutdown_port, paged_list_port {
  /// CAF constructs the state with its actor.
  explicit cursor_state(cursor_pointer self);

  cursor_pointer self;
  cursor_options opts;
  writer_actor writer;
  /// False once the writer terminated.
  bool writer_up = true;

  cursor_table table;
  cursor_stats counters;

  write_scheduler writes{*this, opts, counters};
  shutdown_sequence shutdown{*this};
  paged_list lists{*this, table, opts};

  std::optional<checkpoint_round> checkpoint;

  /// Backups the writer is copying, by token: failed if the actor stops
  /// first.
  std::unordered_map<uint64_t, caf::typed_response_promise<uint64_t>> backups;

  /// One-message lists being served in pages, by token: failed if the actor
  /// stops first.
  std::unordered_map<uint64_t,
                     caf::typed_response_promise<std::vector<cursor_entry>>>
      full_lists;

  /// Token of the pending automatic flush timer.
  uint64_t tick_token = 0;

  /// Token of the pending slice that clears committed marks; 0 when none.
  uint64_t commit_token = 0;

  /// Sends the next piece of write attempt `token` (`last` when it is the
  /// final one, which asks the writer to commit).
  void send_piece(uint64_t token);

  /// Clears one slice of committed marks; schedules the next.
  void commit_slice(uint64_t token);

  std::mt19937_64 rng{std::random_device{}()};

  /// A fresh non-zero random token.
  uint64_t new_token() override;

  // write_port
  bool writer_alive() const override;
  bool clean() const override;
  size_t dirty_count() const override;
  uint64_t send_attempt(uint64_t token) override;
  void commit(uint64_t version) override;
  void schedule_retry(caf::timespan delay, uint64_t token) override;
  caf::actor_clock::time_point now() const override;
  int64_t unix_ms_now() const override;

  // shutdown_port
  void start_final_flush() override;
  void start_writer_close() override;
  void report_unpersisted(const caf::error& err) override;
  size_t pending_changes() const override;
  void on_closed() override;
  void stop(const caf::error& reason) override;

  // paged_list_port
  void read_rows(uint64_t token, const std::string& after,
                 uint32_t limit) override;
  void schedule_slice(uint64_t token) override;

  static inline const char* name = "cursor_store";
};

/// The behaviour of the cursor actor over a loaded writer and the table of
/// the cursors it loaded.
cursor_actor_internal::behavior_type cursor_behavior(cursor_pointer self,
                                                     writer_actor writer,
                                                     cursor_table table,
                                                     cursor_options opts);

} // namespace cursor
