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
#include "tailer/source_check.hpp"
#include "tailer/target_check.hpp"

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
  /// The last entry known to be in the target (written, or found there and
  /// compared after a restart): everything up to it, in order.
  stream_id applied;
  /// The last entry read from the source (>= applied).
  stream_id read_pos;
  /// The last position the store acknowledged.
  stream_id recorded;
  /// The target's last entry at start-up, with the source's count up to it
  /// and its fields: every source entry up to it reached the target.
  source_position floor_pos;
  /// What the tailer knows about `applied` (its count and fields, when
  /// known).
  source_position applied_pos;
  /// The highest deleted ID reported as a gap already (allow-gaps).
  stream_id gap_reported;
  /// The source check's knowledge of the source (source_check.hpp).
  source_position gap_pos;
  /// The state the target stream is in, as the tailer left it
  /// (target_check.hpp); known once the target was checked at start-up.
  target_state expected;
  bool target_known = false;
  /// The state the target is in if the apply whose answer was lost went
  /// through, and what it applied: a reconnection accepts either.
  std::optional<target_state> target_doubt;
  source_position doubt_end;
  /// Entries read again after the start-up (at or below `floor_pos`), until
  /// the applied position passes it.
  uint64_t reread = 0;
  bool reread_pending = false;
  /// The source's last ID at the last read (for the lag).
  stream_id source_last;
  /// Bumped whenever what was read is dropped: an older read's answer is
  /// then stale.
  uint64_t read_gen = 0;

  bool reading = false;
  bool applying = false;
  bool recording = false;
  bool verifying = false;
  /// The target was checked once more at the stop.
  bool final_verified = false;
  /// A batch read and waiting for the writer, and the position after it.
  entry_batch pending;
  source_position pending_end;
  bool has_pending = false;
  /// The position after the batch being applied.
  source_position applying_end;

  party source;
  party target;
  party store_party;
  bool record_refused = false;
  /// A read of this run found the source stream (`source_last` is its last
  /// ID then).
  bool source_seen = false;
  bool missing_warned = false;
  /// The first read of this run passed the checks, and the log said so.
  bool checked_logged = false;
  bool no_gap_warned = false;

  bool stopping = false;
  caf::error stop_error;
  /// Why the peer stopped for good; the stop answers it, so that the exit
  /// code says so even when the supervisor had no time to hear of it.
  caf::error fault;
  /// The check at the stop could not run (errc::target_unchecked).
  caf::error unchecked;
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
void target_failed(pipeline_pointer self, const caf::error& err);

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
  // Entries read but not applied are no longer safe: the source check
  // starts over from what is applied (or in the target).
  st.gap_pos = st.floor_pos.safe < st.applied ? st.applied_pos : st.floor_pos;
}

void fail(pipeline_pointer self, caf::error err) {
  auto& st = self->state;
  if (st.ph == phase::failed)
    return;
  st.ph = phase::failed;
  st.stats.failed = true;
  st.stats.last_error = describe(err);
  if (err.category() == caf::atom("tailer"))
    st.stats.fault = to_string(static_cast<errc>(err.code()));
  st.fault = err;
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

// At start-up: the target must be in a state the tailer can have left it in
// (target_check.hpp, resume_target): everything the cursor says was applied
// is there, nothing was removed. Its last entry is where the source check
// starts. After a reconnection: it must be exactly as the tailer left it, or
// as the apply whose answer was lost left it.
void adopt_probe(pipeline_pointer self, const target_observation& seen) {
  auto& st = self->state;
  if (st.target_known) {
    auto verdict = check_target(st.expected, seen);
    if (verdict && st.target_doubt && !check_target(*st.target_doubt, seen)) {
      // The batch whose answer was lost went through.
      st.expected = *st.target_doubt;
      st.applied = st.doubt_end.safe;
      st.applied_pos = st.doubt_end;
      st.stats.applied_id = st.applied.to_string();
      record(self);
      verdict = target_verdict{};
    }
    st.target_doubt.reset();
    if (verdict) {
      fail(self, target_fault_error(verdict, st.opts.target_name));
      return;
    }
    drop_read(st);
    st.ph = phase::running;
    pump(self);
    return;
  }
  auto res = resume_target(seen, st.applied);
  if (res.verdict) {
    fail(self, target_fault_error(res.verdict, st.opts.target_name));
    return;
  }
  st.expected = res.expected;
  st.target_known = true;
  st.floor_pos = res.position;
  st.applied_pos
      = st.applied == st.floor_pos.safe
            ? st.floor_pos
            : source_position{st.applied, std::nullopt, std::nullopt};
  st.reread = 0;
  st.reread_pending = st.applied < st.floor_pos.safe;
  if (!st.reread_pending)
    st.log->info("peer '{}': the target ends at the recorded position {}: "
                 "read again 0 entries",
                 st.opts.peer, st.applied.to_string());
  drop_read(st);
  st.ph = phase::running;
  pump(self);
}

void probe(pipeline_pointer self) {
  auto& st = self->state;
  self->request(st.writer, st.opts.apply_timeout, probe_atom_v)
      .then(
          [self](target_observation& seen) {
            auto& st = self->state;
            target_up(self);
            if (st.stopping || st.ph == phase::failed) {
              check_stop(self);
              return;
            }
            adopt_probe(self, seen);
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

// Checks that the target is as the tailer left it, while the peer idles and
// at the stop.
void verify(pipeline_pointer self) {
  auto& st = self->state;
  st.verifying = true;
  self->request(st.writer, st.opts.apply_timeout, verify_atom_v, st.expected)
      .then(
          [self](ok_atom) {
            auto& st = self->state;
            st.verifying = false;
            target_up(self);
            check_stop(self);
            pump(self);
          },
          [self](caf::error& err) {
            auto& st = self->state;
            st.verifying = false;
            if (stops_peer(err)) {
              fail(self, std::move(err));
            } else if (st.stopping) {
              // Logged by the service with the stop's answer.
              st.unchecked = caf::make_error(
                  errc::target_unchecked,
                  "the target " + st.opts.target_name
                      + " could not be checked at the stop: " + describe(err));
              check_stop(self);
            } else if (st.ph == phase::running) {
              target_failed(self, err);
            }
            pump(self);
          });
}

// -- read ---------------------------------------------------------------------

errc fault_code(source_verdict::kind_t kind) {
  switch (kind) {
    case source_verdict::behind:
      return errc::source_behind;
    case source_verdict::replaced:
      return errc::source_replaced;
    case source_verdict::ambiguous:
      return errc::source_ambiguous;
    default:
      return errc::gap;
  }
}

// The source check (source_check.hpp) on one snapshot; false when the peer
// stopped. With tailer.allow-gaps a gap, a replaced stream and an ambiguous
// one are reported and stepped over; a stream behind the position is not.
bool check_source(pipeline_pointer self, const read_result& r,
                  source_position& end) {
  auto& st = self->state;
  const auto& info = r.info;
  const auto& entries = r.entries;
  source_snapshot snap;
  snap.entries_added = info.entries_added;
  snap.length = info.length;
  snap.complete = entries.size() < st.opts.batch_size;
  snap.at_safe = r.at_position;
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
  stream_id last;
  if (n > 0) {
    stream_id first;
    if (!ids(std::string{entries.id(0)}, "an entry ID", first)
        || !ids(std::string{entries.id(n - 1)}, "an entry ID", last))
      return false;
    snap.last_returned = last;
    snap.last_returned_fields = entries.fields_key(n - 1);
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
  auto verdict = check_source(st.gap_pos, snap);
  bool repeated = verdict.kind == source_verdict::deleted
                  && !(st.gap_reported < snap.max_deleted);
  if (verdict && !repeated) {
    auto text = describe(st.gap_pos, snap, verdict);
    auto code = fault_code(verdict.kind);
    if (code == errc::gap)
      ++st.stats.gaps;
    if (!st.opts.allow_gaps || code == errc::source_behind) {
      fail(self,
           caf::make_error(code, "peer '" + st.opts.peer + "': source "
                                     + st.opts.source_name + ": " + text));
      return false;
    }
    st.log->error("peer '{}': {}: source {}: {}; continuing after it "
                  "(tailer.allow-gaps=true): the lost entries are missing "
                  "from the target",
                  st.opts.peer, to_string(code), st.opts.source_name, text);
    if (verdict.kind == source_verdict::deleted)
      st.gap_reported = snap.max_deleted;
  }
  st.gap_pos = advance(st.gap_pos, snap, verdict);
  end = n > 0 && last == st.gap_pos.safe
            ? st.gap_pos
            : source_position{last, std::nullopt, std::nullopt};
  return true;
}

void on_read(pipeline_pointer self, read_result& r) {
  auto& st = self->state;
  if (r.wrong_type && st.gap_pos.safe == stream_id{} && !st.source_seen) {
    // A new peer's key of another type: retried like a failing source (the
    // reader does not wait on it), until it is a stream.
    source_down(self, caf::make_error(errc::redis_error,
                                      "the key " + st.opts.source_name
                                          + " holds another type than a "
                                            "stream (WRONGTYPE)"));
    schedule(self, st.source);
    return;
  }
  source_up(self);
  const auto& info = r.info;
  if (!info.exists) {
    // Gone (DEL, FLUSHALL, expiry, a restart without data, replaced by a
    // key of another type). Redis keeps
    // nothing of a deleted key: entries added after the last read may have
    // gone with it, and a whole stream may have lived and died between two
    // reads, so a stream the tailer had (a position, or a read of this run
    // that saw it) is refused. Only a new peer waits for its stream.
    const auto& p = st.gap_pos.safe;
    if (p != stream_id{} || st.source_seen) {
      std::string why;
      if (st.source_seen && p < st.source_last)
        why = "while entries up to " + st.source_last.to_string()
              + " were unread: they are lost";
      else if (st.source_seen)
        why = "after the tailer's last read; entries added after that read "
              "would have gone with it, and Redis keeps nothing of a "
              "deleted key to tell";
      else
        why = "and the tailer, started since, cannot tell whether entries "
              "after its position were lost with it";
      fail(self,
           caf::make_error(
               errc::source_behind,
               "peer '" + st.opts.peer + "': source " + st.opts.source_name
                   + ": the stream does not exist but the tailer's position "
                     "is "
                   + p.to_string()
                   + (r.wrong_type
                          ? ": the key holds another type now (WRONGTYPE), "
                          : ": it was deleted, flushed, or its Redis "
                            "restarted without its data, ")
                   + why));
      return;
    }
    if (!st.missing_warned) {
      st.log->info("peer '{}': checked: the source stream {} does not "
                   "exist yet; waiting for it",
                   st.opts.peer, st.opts.source_name);
      st.missing_warned = true;
    }
    // The target is checked while the peer waits, as while it idles.
    if (!st.applying && !st.verifying && st.target_known)
      verify(self);
    return;
  }
  st.source_seen = true;
  if (st.missing_warned) {
    st.log->info("peer '{}': the source stream {} exists now", st.opts.peer,
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
  source_position end;
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
    if (*last < st.read_pos) {
      fail(self, caf::make_error(
                     errc::source_behind,
                     "the source " + st.opts.source_name + " ends at "
                         + last->to_string() + " but peer '" + st.opts.peer
                         + "' has read up to " + st.read_pos.to_string()));
      return;
    }
    if (!r.entries.empty()) {
      auto id = parse_id(std::string{r.entries.id(r.entries.size() - 1)},
                         "an entry ID");
      if (!id) {
        fail(self, id.error());
        return;
      }
      end.safe = *id;
    }
  } else if (!check_source(self, r, end)) {
    return;
  }
  if (!st.checked_logged) {
    // Once per start: the source and the target passed their checks.
    st.log->info("peer '{}': checked: the source stream holds {} entries up "
                 "to {}, the target ends at {}; replicating after {}",
                 st.opts.peer, info.length, info.last_generated_id,
                 st.expected.exists ? st.expected.last_id.to_string()
                                    : std::string{"none (no stream yet)"},
                 st.read_pos.to_string());
    st.checked_logged = true;
  }
  if (!r.entries.empty()) {
    st.read_pos = end.safe;
    st.pending = std::move(r.entries);
    st.pending_end = std::move(end);
    st.has_pending = true;
  } else if (!st.applying && !st.verifying && st.target_known) {
    // Nothing new: check that the target is still as the tailer left it
    // (at most once per read, i.e. per tailer.block while idle).
    verify(self);
  }
  update_lag(st);
}

void start_read(pipeline_pointer self) {
  auto& st = self->state;
  st.reading = true;
  auto gen = st.read_gen;
  self->request(st.reader, st.opts.read_timeout, read_atom_v,
                st.read_pos.to_string(), st.gap_pos.safe.to_string())
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

void on_apply(pipeline_pointer self, apply_result& r,
              const target_state& predicted) {
  auto& st = self->state;
  if (r.error) {
    if (stops_peer(r.error)) {
      fail(self, std::move(r.error));
      return;
    }
    // Retried: the target holds the batch or not; a reconnection accepts
    // either.
    st.target_doubt = predicted;
    st.doubt_end = st.applying_end;
    target_failed(self, r.error);
    return;
  }
  st.stats.applied += r.applied;
  st.stats.duplicates += r.duplicates;
  st.expected = r.state;
  if (!r.last_id.empty()) {
    auto id = parse_id(r.last_id, "an entry ID");
    if (id && st.applied < *id) {
      st.applied = *id;
      st.applied_pos = st.applying_end;
      st.stats.applied_id = r.last_id;
    }
    record(self);
  }
  if (st.reread_pending) {
    st.reread += r.duplicates;
    if (!(st.applied < st.floor_pos.safe)) {
      st.reread_pending = false;
      st.log->info("peer '{}': read again {} entries up to {} that the target "
                   "held beyond the recorded position (applied before the "
                   "restart; compared with the target's)",
                   st.opts.peer, st.reread, st.floor_pos.safe.to_string());
    }
  }
  ++st.stats.batches;
  target_up(self);
  update_lag(st);
}

// The entries of `xs` above `floor`, the last of them, and S for the target
// after the batch (the source's count at its end minus what the target got).
struct batch_plan {
  uint64_t added = 0;
  stream_id last;
  uint64_t skipped = 0;
};

batch_plan plan(const pipeline_state& st, const entry_batch& xs) {
  batch_plan result;
  result.skipped = st.expected.skipped();
  auto n = xs.size();
  auto floor = st.expected.exists ? st.expected.last_id : stream_id{};
  for (size_t i = n; i > 0; --i) {
    auto id = stream_id::parse(xs.id(i - 1));
    if (!id || !(floor < *id))
      break;
    if (i == n)
      result.last = *id;
    ++result.added;
  }
  const auto& end = st.applying_end;
  auto written = st.expected.entries_added + result.added;
  if (result.added > 0 && end.counter && end.safe == result.last
      && *end.counter >= written)
    result.skipped = *end.counter - written;
  return result;
}

void start_apply(pipeline_pointer self) {
  auto& st = self->state;
  st.applying = true;
  st.has_pending = false;
  auto batch = std::move(st.pending);
  st.pending = entry_batch{};
  st.applying_end = std::move(st.pending_end);
  auto p = plan(st, batch);
  auto predicted = after_apply(st.expected, p.added, p.last, p.skipped);
  self->request(st.writer, st.opts.apply_timeout, apply_atom_v,
                std::move(batch), st.expected, p.skipped)
      .then(
          [self, predicted](apply_result& r) {
            self->state.applying = false;
            on_apply(self, r, predicted);
            check_stop(self);
            pump(self);
          },
          [self, predicted](caf::error& err) {
            // No answer within the timeout: the writer may still be applying;
            // the probe queues behind it and finds either state.
            auto& st = self->state;
            st.applying = false;
            st.target_doubt = predicted;
            st.doubt_end = st.applying_end;
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
  if (!st.applying && !st.verifying && st.has_pending)
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

// Answers the stop requests once nothing is in flight, the target was
// checked once more and the last applied position is recorded (or recording
// it failed).
void check_stop(pipeline_pointer self) {
  auto& st = self->state;
  if (!st.stopping || st.applying || st.recording || st.verifying)
    return;
  if (st.ph == phase::running && st.target_known && !st.final_verified) {
    // A fault found here stops the peer, and the exit code says so.
    st.final_verified = true;
    verify(self);
    return;
  }
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
    else if (st.ph == phase::failed && stops_peer(st.fault))
      rp.deliver(st.fault);
    else if (st.unchecked)
      rp.deliver(st.unchecked);
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
