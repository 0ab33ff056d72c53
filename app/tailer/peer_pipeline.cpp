#include "tailer/peer_pipeline.hpp"

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/logger.h>

#include "cursor_actor/error.hpp"
#include "cursor_actor/stream_id.hpp"
#include "tailer/error.hpp"
#include "tailer/gap_check.hpp"

namespace cursor::tailer {

namespace {

enum class phase {
  /// Asking the store where to resume.
  resolving,
  /// Checking the target stream against the cursor.
  probing,
  /// Reading, applying, recording.
  running,
  /// Stopped for good; idle except for recording what was applied.
  failed,
};

/// One party the pipeline talks to, for backoff and for logging once per
/// change of state.
struct party {
  bool up = true;
  /// The last failure was logged by someone else (the store link).
  bool quiet = false;
  uint64_t failures = 0;
  caf::timespan delay{0};
  /// The token of the scheduled retry; 0 = none scheduled.
  uint64_t token = 0;
};

struct pipeline_state {
  pipeline_options opts;
  source_reader_actor reader;
  target_writer_actor writer;
  store_api store;
  recorder_actor recorder;
  caf::actor supervisor;
  std::shared_ptr<spdlog::logger> log;

  phase ph = phase::resolving;
  /// The last entry known to be in the target (applied or refused there as
  /// a duplicate): everything up to it, in order.
  stream_id applied;
  /// The last entry read from the source (>= applied).
  stream_id read_pos;
  /// The last position the store acknowledged.
  stream_id recorded;
  /// The target's last ID when it was probed: every source entry up to it
  /// reached the target (only this tailer writes it).
  stream_id target_floor;
  /// The highest deleted ID reported as a gap already (allow-gaps).
  stream_id gap_reported;
  /// The gap check's knowledge of the source (gap_check.hpp).
  source_position gap_pos;
  /// The source's last ID at the last read (for the lag).
  stream_id source_last;
  /// Bumped whenever what was read is dropped: an older read's answer is
  /// then stale.
  uint64_t read_gen = 0;

  bool reading = false;
  bool applying = false;
  bool recording = false;
  /// A batch read and waiting for the writer.
  entry_batch pending;
  bool has_pending = false;

  party source;
  party target;
  party store_party;
  bool record_refused = false;
  bool missing_warned = false;
  bool no_gap_warned = false;

  bool stopping = false;
  caf::error stop_error;
  std::vector<caf::typed_response_promise<std::string>> stop_waiters;

  peer_stats stats;
  std::mt19937_64 rng{std::random_device{}()};

  static inline const char* name = "peer_pipeline";
};

using pipeline_pointer = peer_pipeline_actor::stateful_pointer<pipeline_state>;

void pump(pipeline_pointer self);
void probe(pipeline_pointer self);
void record(pipeline_pointer self);
void check_stop(pipeline_pointer self);

stream_id max_id(stream_id a, stream_id b) {
  return a < b ? b : a;
}

void update_lag(pipeline_state& st) {
  st.stats.lag_ms
      = st.applied < st.source_last && st.applied.ms < st.source_last.ms
            ? st.source_last.ms - st.applied.ms
            : 0;
}

void schedule(pipeline_pointer self, party& p) {
  auto& st = self->state;
  p.delay = p.delay.count() == 0
                ? st.opts.retry_base_delay
                : std::min(p.delay * 2, st.opts.retry_max_delay);
  p.token = st.rng() | 1;
  self->delayed_send(self, p.delay, retry_atom_v, p.token);
}

// Logs a failure once per change of state (up -> down), at debug level
// afterwards; every failure is counted.
void mark_down(pipeline_pointer self, party& p, bool& up_flag,
               uint64_t& counter, const char* what, const std::string& where,
               const caf::error& err, bool quiet = false) {
  auto& st = self->state;
  ++counter;
  ++p.failures;
  up_flag = false;
  auto label = where.empty() ? std::string{what} : what + (" " + where);
  if (p.up && !quiet)
    st.log->warn("peer '{}': {} unavailable: {}; retrying with backoff",
                 st.opts.peer, label, describe(err));
  else
    st.log->debug("peer '{}': {} still unavailable: {}", st.opts.peer, label,
                  describe(err));
  if (p.up)
    p.quiet = quiet;
  p.up = false;
}

void mark_up(pipeline_pointer self, party& p, bool& up_flag, const char* what,
             const std::string& where) {
  auto& st = self->state;
  if (!p.up && !p.quiet)
    st.log->info(
        "peer '{}': {} available again after {} failed attempts", st.opts.peer,
        where.empty() ? std::string{what} : what + (" " + where), p.failures);
  p.up = true;
  p.failures = 0;
  p.delay = caf::timespan{0};
  up_flag = true;
}

void source_down(pipeline_pointer self, const caf::error& err) {
  auto& st = self->state;
  mark_down(self, st.source, st.stats.source_up, st.stats.source_errors,
            "source", st.opts.source_name, err);
}

void source_up(pipeline_pointer self) {
  auto& st = self->state;
  mark_up(self, st.source, st.stats.source_up, "source", st.opts.source_name);
}

void target_down(pipeline_pointer self, const caf::error& err) {
  auto& st = self->state;
  mark_down(self, st.target, st.stats.target_up, st.stats.target_errors,
            "target", st.opts.target_name, err);
}

void target_up(pipeline_pointer self) {
  auto& st = self->state;
  mark_up(self, st.target, st.stats.target_up, "target", st.opts.target_name);
}

// The link to a remote node logs its own changes of state (connection lost,
// unreachable: `unavailable`); the pipelines only add a line for other store
// failures (a timeout among them).
void store_down(pipeline_pointer self, const caf::error& err) {
  auto& st = self->state;
  mark_down(self, st.store_party, st.stats.store_up, st.stats.store_errors,
            "cursor store", "", err,
            cursor::is(err, cursor::errc::unavailable));
}

void store_up(pipeline_pointer self) {
  auto& st = self->state;
  mark_up(self, st.store_party, st.stats.store_up, "cursor store", "");
}

// What the store refuses for good: retrying cannot help.
bool store_refused(const caf::error& err) {
  return cursor::is(err, cursor::errc::regression)
         || cursor::is(err, cursor::errc::invalid_peer_id)
         || cursor::is(err, cursor::errc::invalid_stream_id);
}

void drop_read(pipeline_state& st) {
  st.pending = entry_batch{};
  st.has_pending = false;
  st.read_pos = st.applied;
  ++st.read_gen;
  // Entries read but not applied are no longer safe: the gap check starts
  // over from what is applied (or in the target).
  auto safe = max_id(st.applied, st.target_floor);
  if (safe != st.gap_pos.safe)
    st.gap_pos = source_position{safe, std::nullopt};
}

void fail(pipeline_pointer self, caf::error err) {
  auto& st = self->state;
  if (st.ph == phase::failed)
    return;
  st.ph = phase::failed;
  st.stats.failed = true;
  st.stats.last_error = describe(err);
  st.log->error("peer '{}' stopped: {}", st.opts.peer, st.stats.last_error);
  drop_read(st);
  caf::anon_send(st.supervisor, failed_atom_v, st.opts.peer, std::move(err));
  // What was applied is still recorded, so that a restart resumes there.
  record(self);
  check_stop(self);
}

caf::expected<stream_id> parse_id(const std::string& text, const char* what) {
  auto id = stream_id::parse(text);
  if (!id)
    return caf::make_error(errc::redis_protocol, std::string{what} + " '" + text
                                                     + "' is not a stream ID");
  return *id;
}

// -- resume -------------------------------------------------------------------

void resolve(pipeline_pointer self) {
  auto& st = self->state;
  self->request(st.store, st.opts.store_timeout, get_atom_v, start_atom_v,
                st.opts.peer)
      .then(
          [self](std::string& text) {
            auto& st = self->state;
            store_up(self);
            auto id = stream_id::parse(text);
            if (!id) {
              fail(self, id.error());
              return;
            }
            st.applied = st.read_pos = st.recorded = *id;
            st.stats.applied_id = st.stats.recorded_id = id->to_string();
            st.log->info("peer '{}': resuming after {} from {} into {}",
                         st.opts.peer, id->to_string(), st.opts.source_name,
                         st.opts.target_name);
            if (st.stopping) {
              check_stop(self);
              return;
            }
            st.ph = phase::probing;
            probe(self);
          },
          [self](caf::error& err) {
            auto& st = self->state;
            if (store_refused(err)) {
              fail(self, std::move(err));
              return;
            }
            store_down(self, err);
            if (st.stopping)
              check_stop(self);
            else
              schedule(self, st.store_party);
          });
}

// The target must hold everything the cursor says was applied. A target
// that ends before the cursor lost entries (deleted and recreated, or its
// Redis restarted without its data): writing on would hide the loss.
void probe(pipeline_pointer self) {
  auto& st = self->state;
  self->request(st.writer, st.opts.apply_timeout, probe_atom_v)
      .then(
          [self](stream_info& info) {
            auto& st = self->state;
            target_up(self);
            if (st.stopping || st.ph == phase::failed) {
              check_stop(self);
              return;
            }
            stream_id last;
            if (info.exists) {
              auto id
                  = parse_id(info.last_generated_id, "the target's last ID");
              if (!id) {
                fail(self, id.error());
                return;
              }
              last = *id;
            }
            if (last < st.applied) {
              fail(self,
                   caf::make_error(
                       errc::target_behind,
                       "the target " + st.opts.target_name
                           + (info.exists ? " ends at " + last.to_string()
                                          : std::string{" does not exist"})
                           + " but the cursor of peer '" + st.opts.peer
                           + "' says " + st.applied.to_string()
                           + " was applied: the target lost entries (the "
                             "stream was "
                             "deleted, or its Redis lost data); nothing was "
                             "written "
                             "(see docs/TAILER.md, 'The target is behind')"));
              return;
            }
            st.target_floor = last;
            // The gap check starts at the target's last ID: every source
            // entry up to it is in the target. Redis's counter of that
            // entry is the number of entries the target ever received
            // (entries-added), as only this tailer writes the target and it
            // applies entries in order; an empty target starts at 0.
            st.gap_pos.safe = max_id(st.applied, st.target_floor);
            st.gap_pos.counter.reset();
            if (!info.exists)
              st.gap_pos.counter = 0;
            else if (info.has_entries_added && st.gap_pos.safe == last)
              st.gap_pos.counter = info.entries_added;
            st.ph = phase::running;
            pump(self);
          },
          [self](caf::error& err) {
            auto& st = self->state;
            target_down(self, err);
            if (st.stopping || st.ph == phase::failed)
              check_stop(self);
            else
              schedule(self, st.target);
          });
}

// -- read ---------------------------------------------------------------------

// The gap check (gap_check.hpp) on one snapshot; false when the peer
// stopped. With tailer.allow-gaps a gap is reported and stepped over.
bool check_source(pipeline_pointer self, const stream_info& info,
                  const entry_batch& entries) {
  auto& st = self->state;
  stream_snapshot snap;
  snap.entries_added = info.entries_added;
  snap.length = info.length;
  snap.complete = entries.size() < st.opts.batch_size;
  auto ids = [&](const std::string& text, const char* what, stream_id& out) {
    auto id = parse_id(text, what);
    if (!id) {
      fail(self, id.error());
      return false;
    }
    out = *id;
    return true;
  };
  if (!ids(info.last_generated_id, "the source's last ID", snap.last_generated)
      || !ids(info.max_deleted_id, "max-deleted-entry-id", snap.max_deleted))
    return false;
  if (!info.first_entry_id.empty()) {
    stream_id first;
    if (!ids(info.first_entry_id, "the first entry's ID", first))
      return false;
    snap.first_entry = first;
  }
  // Entries come in ID order: count those above `safe` from the back,
  // usually all of them (parse the first and the last only then).
  auto n = entries.size();
  if (n > 0) {
    stream_id first;
    stream_id last;
    if (!ids(std::string{entries.id(0)}, "an entry ID", first)
        || !ids(std::string{entries.id(n - 1)}, "an entry ID", last))
      return false;
    snap.last_returned = last;
    if (st.gap_pos.safe < first) {
      snap.returned_after_safe = n;
    } else {
      for (size_t i = n; i > 0; --i) {
        stream_id id;
        if (!ids(std::string{entries.id(i - 1)}, "an entry ID", id))
          return false;
        if (!(st.gap_pos.safe < id))
          break;
        ++snap.returned_after_safe;
      }
    }
  }
  auto verdict = check_gap(st.gap_pos, snap);
  bool repeated = verdict.kind == gap_verdict::deleted
                  && !(st.gap_reported < snap.max_deleted);
  if (verdict && !repeated) {
    ++st.stats.gaps;
    auto text = describe_gap(st.gap_pos, snap, verdict);
    if (!st.opts.allow_gaps) {
      fail(self,
           caf::make_error(errc::gap, "peer '" + st.opts.peer + "': source "
                                          + st.opts.source_name + ": " + text));
      return false;
    }
    st.log->error("peer '{}': gap: source {}: {}; continuing after it "
                  "(tailer.allow-gaps=true): the lost entries are missing "
                  "from the target",
                  st.opts.peer, st.opts.source_name, text);
    if (verdict.kind == gap_verdict::deleted)
      st.gap_reported = snap.max_deleted;
  }
  st.gap_pos = advance(st.gap_pos, snap, verdict);
  return true;
}

void on_read(pipeline_pointer self, read_result& r) {
  auto& st = self->state;
  source_up(self);
  const auto& info = r.info;
  if (!info.exists) {
    if (st.read_pos != stream_id{} && !st.missing_warned) {
      st.log->warn("peer '{}': the source stream {} does not exist (deleted, "
                   "or its Redis lost its data?); waiting for it",
                   st.opts.peer, st.opts.source_name);
      st.missing_warned = true;
    }
    return;
  }
  if (st.missing_warned) {
    st.log->info("peer '{}': the source stream {} exists again", st.opts.peer,
                 st.opts.source_name);
    st.missing_warned = false;
  }
  auto last = parse_id(info.last_generated_id, "the source's last ID");
  if (!last) {
    fail(self, last.error());
    return;
  }
  st.source_last = *last;
  st.stats.source_last_id = info.last_generated_id;
  if (*last < st.read_pos) {
    fail(self,
         caf::make_error(
             errc::source_behind,
             "the source " + st.opts.source_name + " ends at "
                 + last->to_string() + " but peer '" + st.opts.peer
                 + "' has read up to " + st.read_pos.to_string()
                 + ": the stream was recreated or its Redis lost data; new "
                   "entries with IDs up to "
                 + st.read_pos.to_string() + " would never be read"));
    return;
  }
  if (!info.has_max_deleted || !info.has_entries_added) {
    if (!st.opts.allow_gaps) {
      fail(self,
           caf::make_error(
               errc::no_gap_detection,
               "the source " + st.opts.source_name
                   + " does not report max-deleted-entry-id and "
                     "entries-added (Redis < 7.0): gaps cannot be "
                     "detected; set tailer.allow-gaps=true to run anyway"));
      return;
    }
    if (!st.no_gap_warned) {
      st.log->warn("peer '{}': the source {} does not report "
                   "max-deleted-entry-id and entries-added (Redis < 7.0): "
                   "gaps cannot be detected",
                   st.opts.peer, st.opts.source_name);
      st.no_gap_warned = true;
    }
  } else if (!check_source(self, info, r.entries)) {
    return;
  }
  if (!r.entries.empty()) {
    auto id = parse_id(std::string{r.entries.id(r.entries.size() - 1)},
                       "an entry ID");
    if (!id) {
      fail(self, id.error());
      return;
    }
    st.read_pos = *id;
    st.pending = std::move(r.entries);
    st.has_pending = true;
  }
  update_lag(st);
}

void start_read(pipeline_pointer self) {
  auto& st = self->state;
  st.reading = true;
  auto gen = st.read_gen;
  self->request(st.reader, st.opts.read_timeout, read_atom_v,
                st.read_pos.to_string())
      .then(
          [self, gen](read_result& r) {
            auto& st = self->state;
            st.reading = false;
            if (gen == st.read_gen && st.ph == phase::running && !st.stopping)
              on_read(self, r);
            pump(self);
          },
          [self, gen](caf::error& err) {
            auto& st = self->state;
            st.reading = false;
            if (gen == st.read_gen && st.ph == phase::running && !st.stopping) {
              source_down(self, err);
              schedule(self, st.source);
            }
            pump(self);
          });
}

// -- apply --------------------------------------------------------------------

// The target failed: drop what was read beyond the applied position, probe
// the target again after the backoff (it may have lost data), then re-read
// from the applied position.
void target_failed(pipeline_pointer self, const caf::error& err) {
  auto& st = self->state;
  target_down(self, err);
  drop_read(st);
  if (st.ph == phase::failed || st.stopping) {
    check_stop(self);
    return;
  }
  st.ph = phase::probing;
  schedule(self, st.target);
}

void on_apply(pipeline_pointer self, apply_result& r) {
  auto& st = self->state;
  st.stats.applied += r.applied;
  st.stats.duplicates += r.duplicates;
  if (!r.last_id.empty()) {
    auto id = parse_id(r.last_id, "an entry ID");
    if (id && st.applied < *id) {
      st.applied = *id;
      st.stats.applied_id = r.last_id;
    }
    record(self);
  }
  if (r.error) {
    if (is(r.error, errc::target_hole))
      fail(self, std::move(r.error));
    else
      target_failed(self, r.error);
    return;
  }
  ++st.stats.batches;
  target_up(self);
  update_lag(st);
}

void start_apply(pipeline_pointer self) {
  auto& st = self->state;
  st.applying = true;
  st.has_pending = false;
  auto batch = std::move(st.pending);
  st.pending = entry_batch{};
  self->request(st.writer, st.opts.apply_timeout, apply_atom_v,
                std::move(batch))
      .then(
          [self](apply_result& r) {
            self->state.applying = false;
            on_apply(self, r);
            check_stop(self);
            pump(self);
          },
          [self](caf::error& err) {
            // No answer within the timeout: the writer may still be applying;
            // the next apply queues behind it, and what was applied is refused
            // as duplicates then.
            self->state.applying = false;
            target_failed(self, err);
            pump(self);
          });
}

// Starts what can start: the waiting batch to the writer, the next read.
// Reading pauses while the store is unavailable, so the tailer never gets
// far ahead of what it could record.
void pump(pipeline_pointer self) {
  auto& st = self->state;
  if (st.ph != phase::running || st.stopping)
    return;
  if (!st.applying && st.has_pending)
    start_apply(self);
  if (!st.reading && !st.has_pending && st.source.token == 0
      && st.store_party.up)
    start_read(self);
}

// -- record -------------------------------------------------------------------

// Records the applied position unless a record is in flight (its answer
// sends the newer one), a store retry is scheduled (it records then) or the
// store refused for good.
void record(pipeline_pointer self) {
  auto& st = self->state;
  if (st.recording || !(st.recorded < st.applied) || st.record_refused
      || st.store_party.token != 0)
    return;
  st.recording = true;
  auto value = st.applied;
  self->request(st.recorder, st.opts.store_timeout, record_atom_v, st.opts.peer,
                value.to_string())
      .then(
          [self, value](ok_atom) {
            auto& st = self->state;
            st.recording = false;
            if (st.recorded < value) {
              st.recorded = value;
              st.stats.recorded_id = value.to_string();
            }
            store_up(self);
            record(self);
            check_stop(self);
            pump(self);
          },
          [self](caf::error& err) {
            auto& st = self->state;
            st.recording = false;
            if (store_refused(err)) {
              // Someone else moved the cursor (another tailer on this peer, or
              // an operator): recording again cannot succeed.
              st.record_refused = true;
              st.stop_error = err;
              st.log->error("peer '{}': the store refused to record {}; is "
                            "another tailer running for this peer?",
                            st.opts.peer, st.applied.to_string());
              fail(self, std::move(err));
              check_stop(self);
              return;
            }
            // Also while stopping: the stop waits (bounded by the service's
            // shutdown deadline) for the store to come back.
            store_down(self, err);
            schedule(self, st.store_party);
          });
}

// Answers the stop requests once nothing is in flight and the last applied
// position is recorded (or recording it failed).
void check_stop(pipeline_pointer self) {
  auto& st = self->state;
  if (!st.stopping || st.applying || st.recording)
    return;
  if (st.recorded < st.applied && !st.record_refused) {
    // Answered once the record goes through (retried with backoff while
    // the store is unavailable); the service bounds the wait.
    record(self);
    return;
  }
  for (auto& rp : st.stop_waiters) {
    if (st.recorded < st.applied)
      rp.deliver(st.stop_error
                     ? st.stop_error
                     : caf::make_error(errc::store_unavailable,
                                       "position " + st.applied.to_string()
                                           + " not recorded"));
    else
      rp.deliver(st.recorded.to_string());
  }
  st.stop_waiters.clear();
}

peer_pipeline_actor::behavior_type
pipeline(pipeline_pointer self, pipeline_options opts,
         source_reader_actor reader, target_writer_actor writer,
         store_api store, recorder_actor recorder, caf::actor supervisor,
         std::shared_ptr<spdlog::logger> log) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.reader = std::move(reader);
  st.writer = std::move(writer);
  st.store = std::move(store);
  st.recorder = std::move(recorder);
  st.supervisor = std::move(supervisor);
  st.log = std::move(log);
  st.stats.peer = st.opts.peer;
  // The reader and the writer end with the pipeline, however it ends.
  self->attach_functor([r = st.reader, w = st.writer](const caf::error&) {
    caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  });
  self->set_error_handler([self](caf::error& err) {
    self->state.log->debug("peer '{}': ignored stray error message: {}",
                           self->state.opts.peer, describe(err));
  });
  resolve(self);
  return {
      [self](stats_atom) { return self->state.stats; },
      [self](stop_atom) {
        auto& st = self->state;
        auto rp = self->make_response_promise<std::string>();
        st.stop_waiters.push_back(rp);
        if (!st.stopping) {
          st.stopping = true;
          drop_read(st);
        }
        check_stop(self);
        return rp;
      },
      [self](retry_atom, uint64_t token) {
        auto& st = self->state;
        if (token == 0)
          return;
        if (token == st.source.token) {
          st.source.token = 0;
          pump(self);
        } else if (token == st.target.token) {
          st.target.token = 0;
          if (!st.stopping && st.ph != phase::failed)
            probe(self);
        } else if (token == st.store_party.token) {
          st.store_party.token = 0;
          if (st.ph == phase::resolving) {
            if (!st.stopping)
              resolve(self);
          } else {
            record(self);
          }
        }
      },
  };
}

} // namespace

peer_pipeline_actor spawn_peer_pipeline(
    caf::actor_system& sys, pipeline_options opts, source_reader_actor reader,
    target_writer_actor writer, store_api store, recorder_actor recorder,
    caf::actor supervisor, std::shared_ptr<spdlog::logger> log) {
  return sys.spawn(pipeline, std::move(opts), std::move(reader),
                   std::move(writer), std::move(store), std::move(recorder),
                   std::move(supervisor), std::move(log));
}

} // namespace cursor::tailer
