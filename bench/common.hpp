#pragma once

// What every section of cursor_bench shares: the command-line options, the
// actor system's configuration, small helpers on the store and the
// statistics of latency runs.

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "cursor_actor/cursor_actor.hpp"
#include "sqlite_baselines.hpp"
#include "stats.hpp"

namespace bench {

using clock_type = std::chrono::steady_clock;

using run_atom = caf::atom_constant<caf::atom("run")>;
constexpr run_atom run_atom_v = run_atom{};

double seconds_since(clock_type::time_point t0);

/// Throws std::runtime_error: a benchmark that measured an error fails.
[[noreturn]] void die(const std::string& what);

// -- options ------------------------------------------------------------------

struct options {
  bool full = false;
  std::set<std::string> only;
  std::vector<size_t> sizes;
  int runs = 0; // 0: the mode's default
  size_t rows = 100000;
  std::string dir;
  uint64_t seed = 42;
  std::string markdown;
  std::string policy = "stealing";
  /// The store's write_piece_size (0: the library's default).
  size_t write_piece = 0;
  /// Rows inserted in random order (default, as peers appear over time) or
  /// in key order (`--layout=sorted`: rowids follow the keys, which flatters
  /// every strategy on a rowid table).
  bool shuffled = true;

  bool wants(const std::string& section) const {
    return only.empty() || only.count(section) > 0;
  }

  // The number of runs: the override, or the quick or full default.
  int pick(int quick, int full_runs) const {
    if (runs > 0)
      return runs;
    return full ? full_runs : quick;
  }
};

std::vector<std::string> split(const std::string& text, char sep);

/// `n` distinct host-like peer IDs of 20 to 60 bytes with mixed prefixes, as
/// real meshes name their nodes ("uk.node.manchester-12",
/// "eu-west-1.replica.frankfurt-ingest-3051.corp.example.net"), returned in
/// key order (the sorted layout inserts them so; the default layout shuffles
/// the insertion order).
std::vector<std::string> make_peers(size_t n, uint64_t seed);

/// One canonical Redis stream ID per peer ("<ms>-<seq>", varied).
std::vector<std::string> make_ids(size_t n, uint64_t seed);

// -- actor system -------------------------------------------------------------

/// The benchmark's actor system: the library's types registered, the given
/// scheduler policy, the middleman when `io`.
struct bench_config : caf::actor_system_config {
  bench_config(const std::string& policy, bool io);
};

/// One request from `self`, waiting for the answer; an error ends the
/// benchmark.
template <class T, class Handle, class... Ts>
T ask(caf::scoped_actor& self, const Handle& h, Ts&&... xs) {
  T result{};
  self->request(h, caf::infinite, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) {
                 die("request failed: " + cursor::render(err));
               });
  return result;
}

/// The same from a blocking actor of its own.
template <class T, class Handle, class... Ts>
T ask(caf::actor_system& sys, const Handle& h, Ts&&... xs) {
  caf::scoped_actor self{sys};
  return ask<T>(self, h, std::forward<Ts>(xs)...);
}

// Sets every (peer, id) by one-way messages, then waits until the store
// processed them; returns the store's dirty count.
template <class Handle>
uint64_t set_many(caf::actor_system& sys, const Handle& store,
                  const std::vector<bench::sql::update>& xs) {
  for (auto& x : xs)
    caf::anon_send(store, cursor::set_atom_v, *x.peer, *x.stream_id);
  return ask<uint64_t>(sys, store, cursor::dirty_atom_v);
}

// Picks `n` distinct random indexes below perm.size() (partial shuffle).
void pick_distinct(std::vector<size_t>& perm, size_t n, std::mt19937_64& rng);

// One round of a flush-style section: `n` distinct random peers, each with a
// new stream ID above every earlier round's ("<version>-<i>").
struct update_round {
  std::vector<std::string> ids;
  std::vector<bench::sql::update> xs; // point into `ids` and the peer list
};

// Makes the rounds of one section from its own random stream.
class round_maker {
public:
  round_maker(const std::vector<std::string>& peers, uint64_t seed,
              uint64_t first_version);

  update_round next(size_t n, int64_t updated_at);

private:
  const std::vector<std::string>& peers_;
  std::vector<size_t> perm_;
  std::mt19937_64 rng_;
  uint64_t version_;
};

/// Writes a v2 file at `db` holding every peer with a canonical stream ID,
/// inserted in the layout `opt` asks for: what a section's store opens.
void prefill_v2(const options& opt, const std::string& db,
                const std::vector<std::string>& peers);

/// `n` peers drawn at random (with repeats) from `peers`: the keys of gets.
std::vector<std::string> random_keys(const std::vector<std::string>& peers,
                                     size_t n, uint64_t seed);

cursor::cursor_actor open_store(caf::actor_system& sys, const std::string& path,
                                caf::timespan flush_interval);

/// The write piece size every store of this run uses (`--write-piece`).
void use_write_piece(size_t n);

// The median of a[i] / b[i]: runs i of both were measured back to back, so
// the machine's slow drifts (other processes) cancel in each quotient.
double paired(const std::vector<double>& a, const std::vector<double>& b);

/// Every element of `xs` multiplied by `factor`.
std::vector<double> times(std::vector<double> xs, double factor);

/// p50, p99 and max of repeated latency runs.
struct latency_runs {
  std::vector<double> p50;
  std::vector<double> p99;
  std::vector<double> max;
  size_t samples = 0;
};

void add_run(latency_runs& acc, std::vector<double> xs);

/// A figure of `values` (their summary) against `baseline` (none when
/// `baseline_name` is empty): ratio = median / baseline median, judged
/// against `at_most` when it is positive.
figure ratio_figure(std::string section, std::string name, std::string unit,
                    const std::vector<double>& values,
                    std::string baseline_name,
                    const std::vector<double>& baseline, std::string ratio_name,
                    double at_most, std::string note);

} // namespace bench
