// cursor_bench: the benchmarks of issue 5. Every figure is measured against a
// baseline implemented here and run in the same process run, and printed as
// median, min and max over repeated runs. See docs/PERFORMANCE.md.
//
//   cursor_bench [--quick|--full] [--only=flush,set,get,remote,flood,startup,
//                memory,wal] [--sizes=1,100] [--runs=N] [--rows=N]
//                [--dir=PATH] [--seed=N] [--markdown=FILE] [--policy=NAME]
//                [--layout=sorted|shuffled]
//
// Internal modes (helper processes started by the benchmark itself):
//   cursor_bench serve --policy=NAME --db=PATH
//   cursor_bench hold-lock PATH
//   cursor_bench memory store|bare PATH ROWS
//
// This is the only CAF-heavy translation unit of the benchmark.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cursor_actor/cursor_actor.hpp"
#include "process.hpp"
#include "sqlite_baselines.hpp"
#include "stats.hpp"

namespace {

using namespace cursor;
using bench::figure;
using bench::goal;
using bench::summarize;
using bench::summary;
using clock_type = std::chrono::steady_clock;

using run_atom = caf::atom_constant<caf::atom("run")>;
constexpr run_atom run_atom_v = run_atom{};

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

[[noreturn]] void die(const std::string& what) {
  throw std::runtime_error(what);
}

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
  bool shuffled = false;

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

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> result;
  size_t start = 0;
  for (;;) {
    auto pos = text.find(sep, start);
    auto part = text.substr(start, pos - start);
    if (!part.empty())
      result.push_back(part);
    if (pos == std::string::npos)
      break;
    start = pos + 1;
  }
  return result;
}

// Peer IDs of a realistic length (20 bytes, past std::string's small-buffer
// size), e.g. "eu.node.peer-0001234".
std::vector<std::string> make_peers(size_t n) {
  std::vector<std::string> result;
  result.reserve(n);
  char buf[48];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof(buf), "eu.node.peer-%07zu", i);
    result.emplace_back(buf);
  }
  return result;
}

// -- actor system -------------------------------------------------------------

struct bench_config : caf::actor_system_config {
  bench_config(const std::string& policy, bool io) {
    register_types(*this);
    set("scheduler.policy", caf::atom_from_string(policy));
    if (io)
      load<caf::io::middleman>();
  }
};

// The messaging floor: a bare stateful actor doing the same map inserts and
// lookups, with nothing else (no validation, no dirty set, no SQLite).
using bare_actor = caf::typed_actor<
    caf::replies_to<set_atom, std::string, std::string>::with<ok_atom>,
    caf::replies_to<set_atom, std::vector<std::string>,
                    std::vector<std::string>>::with<ok_atom>,
    caf::replies_to<get_atom, std::string>::with<cursor_lookup>,
    caf::replies_to<dirty_atom>::with<uint64_t>>;

struct bare_state {
  std::unordered_map<std::string, std::string> map;
  static inline const char* name = "bench_bare";
};

// `expected`: a size hint for the map. (It also keeps the argument list
// non-empty: CAF 0.17.6 dereferences a null argument tuple when a function
// actor takes no arguments, which UBSan reports.)
bare_actor::behavior_type
bare_behavior(bare_actor::stateful_pointer<bare_state> self, size_t expected) {
  self->state.map.reserve(expected);
  return {
      [self](set_atom, const std::string& peer, const std::string& id) {
        self->state.map[peer] = id;
        return ok_atom_v;
      },
      [self](set_atom, const std::vector<std::string>& peers,
             const std::vector<std::string>& ids) {
        auto& map = self->state.map;
        auto n = std::min(peers.size(), ids.size());
        for (size_t i = 0; i < n; ++i)
          map[peers[i]] = ids[i];
        return ok_atom_v;
      },
      [self](get_atom, const std::string& peer) {
        auto& map = self->state.map;
        auto i = map.find(peer);
        if (i == map.end())
          return cursor_lookup{};
        return cursor_lookup{true, i->second, false};
      },
      [self](dirty_atom) {
        return static_cast<uint64_t>(self->state.map.size());
      },
  };
}

// Whether a handle accepts the batched set.
template <class Handle>
constexpr bool accepts_batch = caf::detail::tl_exists<
    typename Handle::signatures,
    caf::detail::tbind<std::is_same,
                       caf::replies_to<set_atom, std::vector<std::string>,
                                       std::vector<std::string>>::
                           with<ok_atom>>::template type>::value;

// -- the pump: one-way sets with a bounded number in flight -------------------

struct pump_job {
  std::vector<std::string> peers;
  /// One stream ID per update; update k goes to peers[k % peers.size()].
  std::vector<std::string> ids;
  /// Updates per message (1: the plain set).
  size_t batch = 1;
  /// Messages per acknowledged window, windows in flight at most.
  size_t window = 1000;
  size_t max_windows = 8;

  size_t messages() const { return ids.size() / batch; }
};

struct pump_state {
  size_t sent = 0;
  size_t outstanding = 0;
  clock_type::time_point t0;
  caf::response_promise rp;
  static inline const char* name = "bench_pump";
};

using pump_pointer = caf::stateful_actor<pump_state>*;

template <class Handle>
void send_window(pump_pointer self, const Handle& target,
                 const std::shared_ptr<const pump_job>& job) {
  auto& st = self->state;
  auto total = job->messages();
  auto end = std::min(st.sent + job->window, total);
  auto n_peers = job->peers.size();
  for (; st.sent < end; ++st.sent) {
    if (job->batch == 1) {
      caf::anon_send(target, set_atom_v, job->peers[st.sent % n_peers],
                     job->ids[st.sent]);
    } else {
      if constexpr (accepts_batch<Handle>) {
        std::vector<std::string> peers;
        std::vector<std::string> ids;
        peers.reserve(job->batch);
        ids.reserve(job->batch);
        auto first = st.sent * job->batch;
        for (auto k = first; k < first + job->batch; ++k) {
          peers.push_back(job->peers[k % n_peers]);
          ids.push_back(job->ids[k]);
        }
        caf::anon_send(target, set_atom_v, std::move(peers), std::move(ids));
      }
    }
  }
  st.outstanding += 1;
  self->request(target, caf::infinite, dirty_atom_v)
      .then(
          [self, target, job](uint64_t) {
            auto& st = self->state;
            st.outstanding -= 1;
            if (st.sent < job->messages()) {
              send_window(self, target, job);
            } else if (st.outstanding == 0) {
              auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            clock_type::now() - st.t0)
                            .count();
              st.rp.deliver(static_cast<uint64_t>(ns));
              self->quit();
            }
          },
          [self](caf::error& err) {
            self->state.rp.deliver(err);
            self->quit();
          });
}

template <class Handle>
caf::behavior pump(pump_pointer self, Handle target,
                   std::shared_ptr<const pump_job> job) {
  return {
      [self, target, job](run_atom) {
        auto& st = self->state;
        st.rp = self->make_response_promise();
        st.t0 = clock_type::now();
        for (size_t i = 0; i < job->max_windows && st.sent < job->messages();
             ++i)
          send_window(self, target, job);
        return st.rp;
      },
  };
}

// Runs `job` against `target`; returns the elapsed seconds.
template <class Handle>
double run_pump(caf::actor_system& sys, const Handle& target,
                std::shared_ptr<const pump_job> job) {
  auto p = sys.spawn(pump<Handle>, target, std::move(job));
  caf::scoped_actor self{sys};
  double result = 0;
  self->request(p, caf::infinite, run_atom_v)
      .receive(
          [&](uint64_t ns) { result = static_cast<double>(ns) / 1e9; },
          [&](caf::error& err) { die("pump failed: " + caf::to_string(err)); });
  return result;
}

// -- the getter: sequential get round trips -----------------------------------

enum class get_mode { plain, during_flush, during_lock };

struct getter_job {
  std::vector<std::string> keys;
  get_mode mode = get_mode::plain;
  size_t count = 0;    // plain: number of gets (0: use duration)
  double duration = 0; // plain (count 0), during_lock: seconds
  std::vector<double> samples_us;
  size_t errors = 0;
  size_t flushes_ok = 0;
  size_t flushes_failed = 0;
  double flush_seconds = 0; // during_flush: the flush's duration
};

struct getter_state {
  size_t i = 0;
  bool flush_pending = false;
  bool flush_done = false;
  bool stopping = false;
  clock_type::time_point t0;
  clock_type::time_point deadline;
  caf::response_promise rp;
  static inline const char* name = "bench_getter";
};

using getter_pointer = caf::stateful_actor<getter_state>*;

template <class Handle>
void next_get(getter_pointer self, const Handle& target,
              const std::shared_ptr<getter_job>& job);

template <class Handle>
void finish_getter(getter_pointer self, const std::shared_ptr<getter_job>&) {
  auto& st = self->state;
  st.stopping = true;
  if (st.flush_pending)
    return; // answered when the flush reply arrives
  st.rp.deliver(ok_atom_v);
  self->quit();
}

template <class Handle>
void request_flush(getter_pointer self, const Handle& target,
                   const std::shared_ptr<getter_job>& job) {
  if constexpr (std::is_same_v<Handle, cursor_actor>) {
    auto& st = self->state;
    st.flush_pending = true;
    auto t0 = clock_type::now();
    self->request(target, caf::infinite, flush_atom_v)
        .then(
            [self, target, job, t0](uint64_t) {
              auto& st = self->state;
              st.flush_pending = false;
              st.flush_done = true;
              job->flushes_ok += 1;
              job->flush_seconds = seconds_since(t0);
              if (st.stopping)
                finish_getter<Handle>(self, job);
            },
            [self, target, job](caf::error&) {
              auto& st = self->state;
              st.flush_pending = false;
              job->flushes_failed += 1;
              if (st.stopping)
                finish_getter<Handle>(self, job);
              else if (job->mode == get_mode::during_lock)
                request_flush(self, target, job); // keep the store retrying
            });
  }
}

template <class Handle>
void next_get(getter_pointer self, const Handle& target,
              const std::shared_ptr<getter_job>& job) {
  auto& st = self->state;
  bool stop = false;
  switch (job->mode) {
    case get_mode::plain:
      stop = job->count > 0 ? st.i >= job->count
                            : clock_type::now() >= st.deadline;
      break;
    case get_mode::during_flush:
      stop = st.flush_done;
      break;
    case get_mode::during_lock:
      stop = clock_type::now() >= st.deadline;
      break;
  }
  if (stop) {
    finish_getter<Handle>(self, job);
    return;
  }
  auto& key = job->keys[st.i % job->keys.size()];
  st.i += 1;
  auto t0 = clock_type::now();
  self->request(target, caf::infinite, get_atom_v, key)
      .then(
          [self, target, job, t0](const cursor_lookup&) {
            job->samples_us.push_back(seconds_since(t0) * 1e6);
            next_get(self, target, job);
          },
          [self, target, job](caf::error&) {
            job->errors += 1;
            next_get(self, target, job);
          });
}

template <class Handle>
caf::behavior getter(getter_pointer self, Handle target,
                     std::shared_ptr<getter_job> job) {
  return {
      [self, target, job](run_atom) {
        auto& st = self->state;
        st.rp = self->make_response_promise();
        st.t0 = clock_type::now();
        st.deadline = st.t0
                      + std::chrono::duration_cast<clock_type::duration>(
                          std::chrono::duration<double>(job->duration));
        job->samples_us.reserve(job->count > 0 ? job->count : 100000);
        if (job->mode != get_mode::plain)
          request_flush(self, target, job);
        next_get(self, target, job);
        return st.rp;
      },
  };
}

template <class Handle>
void run_getter(caf::actor_system& sys, const Handle& target,
                const std::shared_ptr<getter_job>& job) {
  auto g = sys.spawn(getter<Handle>, target, job);
  caf::scoped_actor self{sys};
  self->request(g, caf::infinite, run_atom_v)
      .receive([](ok_atom) {},
               [&](caf::error& err) {
                 die("getter failed: " + caf::to_string(err));
               });
}

// -- helpers on the store -----------------------------------------------------

template <class T, class Handle, class... Ts>
T ask(caf::actor_system& sys, const Handle& h, Ts&&... xs) {
  caf::scoped_actor self{sys};
  T result{};
  self->request(h, caf::infinite, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { die("request failed: " + render(err)); });
  return result;
}

// Sets every (peer, id) by one-way messages, then waits until the store
// processed them; returns the store's dirty count.
template <class Handle>
uint64_t set_many(caf::actor_system& sys, const Handle& store,
                  const std::vector<bench::sql::update>& xs) {
  for (auto& x : xs)
    caf::anon_send(store, set_atom_v, *x.peer, *x.stream_id);
  return ask<uint64_t>(sys, store, dirty_atom_v);
}

// Picks `n` distinct random indexes below perm.size() (partial shuffle).
void pick_distinct(std::vector<size_t>& perm, size_t n, std::mt19937_64& rng) {
  for (size_t i = 0; i < n; ++i) {
    std::uniform_int_distribution<size_t> d{i, perm.size() - 1};
    std::swap(perm[i], perm[d(rng)]);
  }
}

cursor_actor open_store(caf::actor_system& sys, const std::string& path,
                        caf::timespan flush_interval) {
  cursor_options opts;
  opts.storage.db_path = path;
  opts.flush_interval = flush_interval;
  auto store = spawn_cursor_store(sys, opts);
  if (!store)
    die("cannot open the store: " + render(store.error()));
  return *store;
}

// The median of a[i] / b[i]: runs i of both were measured back to back, so
// the machine's slow drifts (other processes) cancel in each quotient.
double paired(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> q;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    q.push_back(a[i] / b[i]);
  return summarize(q).median;
}

std::vector<double> times(std::vector<double> xs, double factor) {
  for (auto& x : xs)
    x *= factor;
  return xs;
}

// -- 1. flush -----------------------------------------------------------------

void bench_flush(bench::report& rep, const options& opt, const std::string& dir,
                 const std::vector<std::string>& peers) {
  auto store_db = dir + "/flush-store.db";
  auto ref_db = dir + "/flush-reference.db";
  auto floor_db = dir + "/flush-floor.db";
  for (auto& path : {store_db, ref_db, floor_db})
    bench::sql::prefill(path, peers, "1700000000000-0", opt.shuffled, opt.seed);
  std::vector<size_t> sizes = opt.sizes;
  if (sizes.empty())
    sizes = {1, 100, 1000, 10000, 100000};
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  auto store = open_store(sys, store_db, caf::timespan{0});
  {
    scoped_store guard{sys, store};
    bench::sql::connection ref{ref_db};
    bench::sql::connection flo{floor_db};
    std::mt19937_64 rng{opt.seed};
    std::vector<size_t> perm(peers.size());
    for (size_t i = 0; i < perm.size(); ++i)
      perm[i] = i;
    uint64_t version = 1800000000000;
    for (auto n : sizes) {
      n = std::min(n, peers.size());
      int runs = n <= 1000 ? opt.pick(20, 50)
                           : (n <= 10000 ? opt.pick(5, 11) : opt.pick(3, 7));
      std::vector<double> t_store;
      std::vector<double> t_ref;
      std::vector<double> t_floor;
      for (int r = 0; r < runs; ++r) {
        pick_distinct(perm, n, rng);
        std::vector<std::string> ids(n);
        std::vector<bench::sql::update> xs(n);
        auto ms = std::to_string(version++);
        for (size_t i = 0; i < n; ++i) {
          ids[i] = ms + "-" + std::to_string(i);
          xs[i] = bench::sql::update{&peers[perm[i]], &ids[i], 1800000000000};
        }
        for (int k = 0; k < 3; ++k) {
          switch ((r + k) % 3) {
            case 0: {
              auto dirty = set_many(sys, store, xs);
              if (dirty != n)
                die("store: " + std::to_string(dirty) + " dirty, expected "
                    + std::to_string(n));
              caf::scoped_actor self{sys};
              uint64_t rows = 0;
              auto t0 = clock_type::now();
              self->request(store, caf::infinite, flush_atom_v)
                  .receive([&](uint64_t x) { rows = x; },
                           [&](caf::error& err) {
                             die("flush failed: " + render(err));
                           });
              t_store.push_back(seconds_since(t0));
              if (rows != n)
                die("flush wrote " + std::to_string(rows) + " rows, expected "
                    + std::to_string(n));
              break;
            }
            case 1:
              t_floor.push_back(flo.floor_flush(xs));
              break;
            default:
              t_ref.push_back(ref.reference_flush(xs));
              break;
          }
        }
      }
      auto s_store = summarize(times(t_store, 1e3));
      auto s_ref = summarize(times(t_ref, 1e3));
      auto s_floor = summarize(times(t_floor, 1e3));
      figure a;
      a.section = "1 flush";
      a.name = "flush " + std::to_string(n) + " dirty (store) vs reference";
      a.unit = "ms";
      a.value = s_store;
      a.baseline_name = "reference: autocommit upsert per row, re-prepared";
      a.baseline = s_ref;
      a.ratio_name = "reference/store, paired";
      a.ratio = paired(t_ref, t_store);
      if (n == 10000) {
        a.target_goal = goal::at_least;
        a.target = 7;
      } else if (n == 100000) {
        a.target_goal = goal::at_least;
        a.target = 13;
      }
      rep.add(a);
      figure b;
      b.section = "1 flush";
      b.name = "flush " + std::to_string(n) + " dirty (store) vs floor";
      b.unit = "ms";
      b.value = s_store;
      b.baseline_name = "floor: one txn, cached stmt, sorted, no actors";
      b.baseline = s_floor;
      b.ratio_name = "store/floor, paired";
      b.ratio = paired(t_store, t_floor);
      if (n >= 10000) {
        b.target_goal = goal::at_most;
        b.target = 1.15;
      }
      rep.add(b);
    }
    if (!stop_store(sys, store, std::chrono::seconds(60)))
      die("the store did not stop");
  }
  auto d_store = bench::sql::content_digest(store_db);
  auto d_ref = bench::sql::content_digest(ref_db);
  auto d_floor = bench::sql::content_digest(floor_db);
  if (!(d_store == d_ref) || !(d_store == d_floor))
    die("the store and the baselines wrote different rows");
  std::printf("[1 flush] check: the store, the reference and the floor hold "
              "the same %zu rows\n",
              d_store.rows);
}

// -- 2. set throughput --------------------------------------------------------

std::shared_ptr<pump_job> make_set_job(const std::vector<std::string>& peers,
                                       size_t n_peers, size_t updates,
                                       size_t batch, uint64_t& base) {
  auto job = std::make_shared<pump_job>();
  job->peers.assign(peers.begin(), peers.begin()
                                       + static_cast<std::ptrdiff_t>(
                                           std::min(n_peers, peers.size())));
  job->ids.reserve(updates);
  auto per_peer = job->peers.size();
  for (size_t k = 0; k < updates; ++k)
    job->ids.push_back(std::to_string(base + k / per_peer) + "-0");
  base += updates / per_peer + 1;
  job->batch = batch;
  return job;
}

// Checks that the store took every update of `job` (each peer's last one).
void check_pump_result(caf::actor_system& sys, const cursor_actor& store,
                       const pump_job& job) {
  auto n = job.messages() * job.batch;
  auto per_peer = job.peers.size();
  for (size_t k = n - std::min(n, per_peer); k < n; k += 97) {
    auto x
        = ask<cursor_lookup>(sys, store, get_atom_v, job.peers[k % per_peer]);
    if (x.stream_id != job.ids[k])
      die("the store holds " + x.stream_id + " for " + job.peers[k % per_peer]
          + ", expected " + job.ids[k]);
  }
}

// Runs `runs` interleaved rounds of `messages` one-way set messages of
// `batch` updates each against the store and the bare actor; returns the
// updates per second of each.
std::pair<std::vector<double>, std::vector<double>>
set_throughput(caf::actor_system& sys, const cursor_actor& store,
               const bare_actor& bare, const std::vector<std::string>& peers,
               size_t messages, size_t batch, int runs, uint64_t base) {
  std::vector<double> r_store;
  std::vector<double> r_bare;
  {
    // Warm-up, not timed.
    auto job = make_set_job(peers, 1000, 20000 * batch, batch, base);
    run_pump(sys, store, job);
    run_pump(sys, bare, job);
  }
  auto updates = static_cast<double>(messages * batch);
  for (int r = 0; r < runs; ++r) {
    auto job = make_set_job(peers, 1000, messages * batch, batch, base);
    for (int k = 0; k < 2; ++k) {
      if ((r + k) % 2 == 0) {
        r_store.push_back(updates / run_pump(sys, store, job));
        check_pump_result(sys, store, *job);
      } else {
        r_bare.push_back(updates / run_pump(sys, bare, job));
      }
    }
  }
  return {r_store, r_bare};
}

void bench_set(bench::report& rep, const options& opt, const std::string& dir,
               const std::vector<std::string>& peers) {
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  auto store = open_store(sys, dir + "/set-store.db", std::chrono::seconds(5));
  scoped_store guard{sys, store};
  auto batch_store = caf::actor_cast<cursor_actor>(store);
  auto bare = sys.spawn(bare_behavior, size_t{0});
  auto runs = opt.pick(5, 11);
  size_t messages = opt.full ? 1000000 : 300000;
  size_t batch_messages = opt.full ? 30000 : 10000;
  auto [single_store, single_bare] = set_throughput(
      sys, batch_store, bare, peers, messages, 1, runs, 1900000000000);
  auto [batch_store_r, batch_bare_r] = set_throughput(
      sys, batch_store, bare, peers, batch_messages, 100, runs, 2000000000000);
  figure f;
  f.section = "2 set";
  f.name = "set, 1 update per message";
  f.unit = "k updates/s";
  f.value = summarize(times(single_store, 1e-3));
  f.baseline_name = "bare stateful CAF actor, same map insert";
  f.baseline = summarize(times(single_bare, 1e-3));
  f.ratio_name = "store/bare, paired";
  f.ratio = paired(single_store, single_bare);
  f.target_goal = goal::at_least;
  f.target = 0.85;
  rep.add(f);
  figure b;
  b.section = "2 set";
  b.name = "batched set, 100 updates per message (target on the value)";
  b.unit = "k updates/s";
  b.value = summarize(times(batch_store_r, 1e-3));
  b.baseline_name = "bare stateful CAF actor, same inserts";
  b.baseline = summarize(times(batch_bare_r, 1e-3));
  b.ratio_name = "store/bare, paired";
  b.ratio = paired(batch_store_r, batch_bare_r);
  b.target_goal = goal::at_least;
  b.target = 2500;
  b.target_on_value = true;
  rep.add(b);
  anon_send_exit(bare, caf::exit_reason::user_shutdown);
}

// -- 3. get latency -----------------------------------------------------------

struct latency_runs {
  std::vector<double> p50;
  std::vector<double> p99;
  std::vector<double> max;
  size_t samples = 0;
};

void add_run(latency_runs& acc, std::vector<double> xs) {
  if (xs.empty())
    die("no get completed");
  acc.samples += xs.size();
  acc.p50.push_back(bench::percentile(xs, 50));
  acc.p99.push_back(bench::percentile(xs, 99));
  acc.max.push_back(xs.back());
}

void bench_get(bench::report& rep, const options& opt, const std::string& dir,
               const std::vector<std::string>& peers) {
  auto db = dir + "/get-store.db";
  bench::sql::prefill(db, peers, "1700000000000-0", opt.shuffled, opt.seed);
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  auto store = open_store(sys, db, caf::timespan{0});
  scoped_store guard{sys, store};
  auto bare = sys.spawn(bare_behavior, peers.size());
  std::string seed_id = "1700000000000-0";
  for (auto& p : peers)
    caf::anon_send(bare, set_atom_v, p, seed_id);
  ask<uint64_t>(sys, bare, dirty_atom_v);
  std::mt19937_64 rng{opt.seed + 3};
  std::vector<std::string> keys;
  std::uniform_int_distribution<size_t> pick{0, peers.size() - 1};
  for (size_t i = 0; i < 10000; ++i)
    keys.push_back(peers[pick(rng)]);
  // Idle runs last as long as the lock runs: a longer run meets more of the
  // machine's noise (preemption by other processes), and p99 must compare
  // like with like.
  double hold = opt.full ? 3.0 : 1.0;
  auto plain_job = [&] {
    auto job = std::make_shared<getter_job>();
    job->keys = keys;
    job->duration = hold;
    return job;
  };
  latency_runs idle;
  latency_runs idle_bare;
  latency_runs flushing;
  latency_runs locked;
  std::vector<double> flush_ms;
  int runs = opt.pick(3, 5);
  for (int r = 0; r < runs; ++r) {
    for (int k = 0; k < 2; ++k) {
      auto job = plain_job();
      if ((r + k) % 2 == 0) {
        run_getter(sys, store, job);
        add_run(idle, job->samples_us);
      } else {
        run_getter(sys, bare, job);
        add_run(idle_bare, job->samples_us);
      }
    }
  }
  // While a flush of every cursor is in flight.
  uint64_t version = 1800000000000;
  int flush_runs = opt.pick(3, 7);
  for (int r = 0; r < flush_runs; ++r) {
    std::vector<std::string> ids(peers.size());
    std::vector<bench::sql::update> xs(peers.size());
    auto ms = std::to_string(version++);
    for (size_t i = 0; i < peers.size(); ++i) {
      ids[i] = ms + "-" + std::to_string(i);
      xs[i] = bench::sql::update{&peers[i], &ids[i], 0};
    }
    std::shuffle(xs.begin(), xs.end(), rng);
    set_many(sys, store, xs);
    auto job = std::make_shared<getter_job>();
    job->keys = keys;
    job->mode = get_mode::during_flush;
    run_getter(sys, store, job);
    if (job->flushes_ok != 1)
      die("the flush during the get benchmark failed");
    flush_ms.push_back(job->flush_seconds * 1e3);
    add_run(flushing, job->samples_us);
  }
  // While another process holds the database lock.
  int lock_runs = opt.pick(2, 5);
  size_t lock_errors = 0;
  for (int r = 0; r < lock_runs; ++r) {
    std::vector<std::string> ids(200);
    std::vector<bench::sql::update> xs(200);
    auto ms = std::to_string(version++);
    for (size_t i = 0; i < 200; ++i) {
      ids[i] = ms + "-" + std::to_string(i);
      xs[i] = bench::sql::update{&peers[i * 7 % peers.size()], &ids[i], 0};
    }
    set_many(sys, store, xs);
    bench::child_process holder{{"hold-lock", db}};
    std::string line;
    if (!holder.read_line(line, 30000) || line != "locked")
      die("the lock holder did not start");
    auto job = std::make_shared<getter_job>();
    job->keys = keys;
    job->mode = get_mode::during_lock;
    job->duration = hold;
    run_getter(sys, store, job);
    lock_errors += job->flushes_ok; // a flush must not succeed while locked
    if (job->flushes_failed == 0)
      die("no flush attempt failed while the database was locked");
    add_run(locked, job->samples_us);
    holder.finish(30000);
    ask<uint64_t>(sys, store, flush_atom_v); // succeeds once released
  }
  if (lock_errors > 0)
    die("a flush succeeded while another process held the lock");
  auto fig = [&](const std::string& name, const std::vector<double>& v,
                 const std::string& bname, const std::vector<double>& b,
                 const std::string& rname, double target, std::string note) {
    figure f;
    f.section = "3 get";
    f.name = name;
    f.unit = "µs";
    f.value = summarize(v);
    f.baseline_name = bname;
    f.baseline = summarize(b);
    f.ratio_name = rname;
    f.ratio = f.value.median / f.baseline.median;
    if (target > 0) {
      f.target_goal = goal::at_most;
      f.target = target;
    }
    f.note = std::move(note);
    rep.add(f);
  };
  fig("get p50, idle", idle.p50, "bare actor get p50", idle_bare.p50,
      "store/bare", 0,
      std::to_string(idle.samples / std::max(1, runs)) + " gets per run of "
          + bench::fmt3(hold) + " s");
  fig("get p99, idle", idle.p99, "bare actor get p99", idle_bare.p99,
      "store/bare", 0, "");
  fig("get p50, during a 100k-row flush", flushing.p50, "store idle p50",
      idle.p50, "busy/idle", 0,
      std::to_string(flushing.samples / std::max(1, flush_runs))
          + " gets per flush");
  fig("get p99, during a 100k-row flush", flushing.p99, "store idle p99",
      idle.p99, "busy/idle", 2, "");
  fig("get max, during a 100k-row flush", flushing.max, "store idle max",
      idle.max, "busy/idle", 0, "");
  fig("get p99, while another process holds the lock", locked.p99,
      "store idle p99", idle.p99, "busy/idle", 2,
      std::to_string(locked.samples / std::max(1, lock_runs))
          + " gets per run");
  fig("get max, while another process holds the lock", locked.max,
      "store idle max", idle.max, "busy/idle", 0, "");
  figure f;
  f.section = "3 get";
  f.name = "the 100k-row flush during those gets";
  f.unit = "ms";
  f.value = summarize(flush_ms);
  rep.add(f);
  anon_send_exit(bare, caf::exit_reason::user_shutdown);
}

// -- 4. remote ----------------------------------------------------------------

struct server {
  std::unique_ptr<bench::child_process> proc;
  uint16_t store_port = 0;
  uint16_t bare_port = 0;

  server(const std::string& policy, const std::string& db) {
    proc = std::make_unique<bench::child_process>(
        std::vector<std::string>{"serve", "--policy=" + policy, "--db=" + db});
    std::string line;
    if (!proc->read_line(line, 60000))
      die("the server did not start");
    unsigned a = 0;
    unsigned b = 0;
    if (std::sscanf(line.c_str(), "ports %u %u", &a, &b) != 2)
      die("unexpected server output: " + line);
    store_port = static_cast<uint16_t>(a);
    bare_port = static_cast<uint16_t>(b);
  }

  // The server's VmHWM and VmRSS in kB.
  std::pair<int64_t, int64_t> memory() {
    proc->write_line("hwm");
    std::string line;
    if (!proc->read_line(line, 60000))
      die("the server did not answer");
    long long hwm = 0;
    long long rss = 0;
    if (std::sscanf(line.c_str(), "hwm %lld %lld", &hwm, &rss) != 2)
      die("unexpected server output: " + line);
    return {hwm, rss};
  }

  // CPU time (user + system) the server used so far, milliseconds.
  double cpu_ms() {
    proc->write_line("cpu");
    std::string line;
    if (!proc->read_line(line, 60000))
      die("the server did not answer");
    double ms = 0;
    if (std::sscanf(line.c_str(), "cpu %lf", &ms) != 1)
      die("unexpected server output: " + line);
    return ms;
  }

  void stop() {
    proc->write_line("quit");
    if (proc->finish(60000) != 0)
      die("the server did not stop cleanly");
  }
};

template <class Handle>
Handle connect(caf::actor_system& sys, uint16_t port) {
  auto h = sys.middleman().remote_actor<Handle>("127.0.0.1", port);
  if (!h)
    die("cannot connect to port " + std::to_string(port) + ": "
        + caf::to_string(h.error()));
  return *h;
}

struct remote_figures {
  std::vector<double> set_store, set_bare, batch_store, batch_bare;
  latency_runs get_store, get_bare;
  std::vector<double> idle_cpu; // percent of one core while idle
};

void bench_remote(bench::report& rep, const options& opt,
                  const std::string& dir,
                  const std::vector<std::string>& peers) {
  bench_config cfg{"stealing", true};
  caf::actor_system sys{cfg};
  std::map<std::string, remote_figures> results;
  int runs = opt.pick(3, 7);
  size_t messages = opt.full ? 500000 : 100000;
  size_t batch_msgs = opt.full ? 20000 : 5000;
  size_t gets = opt.full ? 10000 : 2000;
  std::vector<std::string> keys(peers.begin(), peers.begin() + 1000);
  for (auto policy : {"stealing", "sharing"}) {
    server srv{policy, dir + "/remote-" + policy + ".db"};
    auto& res = results[policy];
    {
      auto store = connect<cursor_actor>(sys, srv.store_port);
      auto bare = connect<bare_actor>(sys, srv.bare_port);
      uint64_t base = 2100000000000;
      // Warm-up, not timed: connections, proxies, TCP windows, maps.
      {
        auto job = make_set_job(peers, 1000, 20000, 1, base);
        run_pump(sys, store, job);
        run_pump(sys, bare, job);
      }
      // What the server burns while nobody talks to it (CAF's idle
      // workers poll under stealing, sleep under sharing).
      for (int r = 0; r < 2; ++r) {
        auto before = srv.cpu_ms();
        auto t0 = clock_type::now();
        std::this_thread::sleep_for(std::chrono::seconds(1));
        auto wall = seconds_since(t0) * 1e3;
        res.idle_cpu.push_back((srv.cpu_ms() - before) / wall * 100);
      }
      for (int r = 0; r < runs; ++r) {
        auto job = make_set_job(peers, 1000, messages, 1, base);
        for (int k = 0; k < 2; ++k) {
          if ((r + k) % 2 == 0) {
            auto s = run_pump(sys, store, job);
            res.set_store.push_back(static_cast<double>(messages) / s);
            check_pump_result(sys, store, *job);
          } else {
            auto s = run_pump(sys, bare, job);
            res.set_bare.push_back(static_cast<double>(messages) / s);
          }
        }
        {
          auto bjob = make_set_job(peers, 1000, batch_msgs * 100, 100, base);
          for (int k = 0; k < 2; ++k) {
            if ((r + k) % 2 == 0) {
              auto s = run_pump(sys, store, bjob);
              res.batch_store.push_back(static_cast<double>(batch_msgs * 100)
                                        / s);
              check_pump_result(sys, store, *bjob);
            } else {
              auto s = run_pump(sys, bare, bjob);
              res.batch_bare.push_back(static_cast<double>(batch_msgs * 100)
                                       / s);
            }
          }
        }
        for (int k = 0; k < 2; ++k) {
          auto job = std::make_shared<getter_job>();
          job->keys = keys;
          job->count = gets;
          if ((r + k) % 2 == 0) {
            run_getter(sys, store, job);
            add_run(res.get_store, job->samples_us);
          } else {
            run_getter(sys, bare, job);
            add_run(res.get_bare, job->samples_us);
          }
        }
      }
    }
    srv.stop();
    std::string sec = std::string{"4 remote ("} + policy + ")";
    auto thr = [&](const std::string& name, const std::vector<double>& a,
                   const std::vector<double>& b, double target) {
      figure f;
      f.section = sec;
      f.name = name;
      f.unit = "k updates/s";
      f.value = summarize(times(a, 1e-3));
      f.baseline_name = "bare published actor";
      f.baseline = summarize(times(b, 1e-3));
      f.ratio_name = "store/bare, paired";
      f.ratio = paired(a, b);
      if (target > 0) {
        f.target_goal = goal::at_least;
        f.target = target;
      }
      rep.add(f);
    };
    thr("one-way set, 1 update per message", res.set_store, res.set_bare, 0.85);
    if (!res.batch_store.empty()) {
      thr("one-way batched set, 100 updates per message", res.batch_store,
          res.batch_bare, 0);
      figure f;
      f.section = sec;
      f.name = "batched set updates/s (absolute target 1 M/s)";
      f.unit = "k updates/s";
      f.value = summarize(times(res.batch_store, 1e-3));
      f.target_goal = goal::at_least;
      f.target = 1000;
      f.target_on_value = true;
      rep.add(f);
    }
    for (auto [label, a, b] :
         {std::make_tuple("get round trip p50", &res.get_store.p50,
                          &res.get_bare.p50),
          std::make_tuple("get round trip p99", &res.get_store.p99,
                          &res.get_bare.p99)}) {
      figure f;
      f.section = sec;
      f.name = label;
      f.unit = "µs";
      f.value = summarize(*a);
      f.baseline_name = "bare published actor";
      f.baseline = summarize(*b);
      f.ratio_name = "bare/store, paired";
      f.ratio = paired(*b, *a);
      if (std::string{label} == "get round trip p50") {
        f.target_goal = goal::at_least;
        f.target = 0.85;
      }
      rep.add(f);
    }
  }
  // The policy comparison itself.
  auto med = [](const std::vector<double>& xs) { return summarize(xs).median; };
  auto& st = results["stealing"];
  auto& sh = results["sharing"];
  figure f;
  f.section = "4 remote";
  f.name = "store one-way set under sharing vs stealing";
  f.unit = "k updates/s";
  f.value = summarize(times(sh.set_store, 1e-3));
  f.baseline_name = "stealing";
  f.baseline = summarize(times(st.set_store, 1e-3));
  f.ratio_name = "sharing/stealing";
  f.ratio = med(sh.set_store) / med(st.set_store);
  rep.add(f);
  figure g;
  g.section = "4 remote";
  g.name = "store get round trip p50 under sharing vs stealing";
  g.unit = "µs";
  g.value = summarize(sh.get_store.p50);
  g.baseline_name = "stealing";
  g.baseline = summarize(st.get_store.p50);
  g.ratio_name = "stealing/sharing";
  g.ratio = med(st.get_store.p50) / med(sh.get_store.p50);
  rep.add(g);
  figure c;
  c.section = "4 remote";
  c.name = "server CPU while idle under sharing vs stealing (1 s windows)";
  c.unit = "% of a core";
  c.value = summarize(sh.idle_cpu);
  c.baseline_name = "stealing";
  c.baseline = summarize(st.idle_cpu);
  c.ratio_name = "sharing/stealing";
  c.ratio = c.value.median / c.baseline.median;
  rep.add(c);
  if (!sh.batch_store.empty()) {
    figure h;
    h.section = "4 remote";
    h.name = "store batched set under sharing vs stealing";
    h.unit = "k updates/s";
    h.value = summarize(times(sh.batch_store, 1e-3));
    h.baseline_name = "stealing";
    h.baseline = summarize(times(st.batch_store, 1e-3));
    h.ratio_name = "sharing/stealing";
    h.ratio = med(sh.batch_store) / med(st.batch_store);
    rep.add(h);
  }
}

// -- 6b. flood: peak memory of a server receiving 1 M remote sets -------------

void bench_flood(bench::report& rep, const options& opt, const std::string& dir,
                 const std::vector<std::string>& peers) {
  bench_config cfg{"stealing", true};
  caf::actor_system sys{cfg};
  struct variant {
    std::string name;
    size_t window;
    size_t max_windows;
  };
  std::vector<variant> variants{
      {"bounded: 8 windows of 1000 in flight", 1000, 8}};
  if (opt.full)
    variants.push_back({"unbounded: all sent at once", 1000000, 1});
  for (auto& v : variants) {
    server srv{opt.policy, dir + "/flood.db"};
    auto before = srv.memory();
    double secs = 0;
    {
      auto store = connect<cursor_actor>(sys, srv.store_port);
      uint64_t base = 2200000000000;
      auto job = make_set_job(peers, 1000, 1000000, 1, base);
      job->window = v.window;
      job->max_windows = v.max_windows;
      secs = run_pump(sys, store, job);
      check_pump_result(sys, store, *job);
    }
    auto after = srv.memory();
    srv.stop();
    figure f;
    f.section = "6 memory";
    f.name = "server peak RSS (VmHWM) after 1 M remote sets, " + v.name;
    f.unit = "MiB";
    f.value = summarize({static_cast<double>(after.first) / 1024});
    f.baseline_name = "VmHWM of the same server before the flood";
    f.baseline = summarize({static_cast<double>(before.first) / 1024});
    f.ratio_name = "after/before";
    f.ratio = f.value.median / f.baseline.median;
    f.note = "1 M sets in " + bench::fmt3(secs) + " s";
    rep.add(f);
  }
}

// -- 5. start-up --------------------------------------------------------------

void bench_startup(bench::report& rep, const options& opt,
                   const std::string& dir,
                   const std::vector<std::string>& peers) {
  auto db = dir + "/startup.db";
  bench::sql::prefill(db, peers, "1700000000000-0", opt.shuffled, opt.seed);
  bench_config cfg{opt.policy, false};
  caf::actor_system sys{cfg};
  std::vector<double> t_store;
  std::vector<double> t_bare;
  int runs = opt.pick(5, 11);
  for (int r = 0; r < runs; ++r) {
    for (int k = 0; k < 2; ++k) {
      if ((r + k) % 2 == 0) {
        auto t0 = clock_type::now();
        auto store = open_store(sys, db, std::chrono::seconds(5));
        t_store.push_back(seconds_since(t0) * 1e3);
        auto stats = ask<cursor_stats>(sys, store, stats_atom_v);
        if (stats.entries != peers.size())
          die("the store loaded " + std::to_string(stats.entries) + " rows");
        if (!stop_store(sys, store, std::chrono::seconds(60)))
          die("the store did not stop");
      } else {
        size_t rows = 0;
        t_bare.push_back(bench::sql::bare_load(db, peers.size(), rows) * 1e3);
        if (rows != peers.size())
          die("the bare load read " + std::to_string(rows) + " rows");
      }
    }
  }
  figure f;
  f.section = "5 start-up";
  f.name = "open and load " + std::to_string(peers.size()) + " cursors";
  f.unit = "ms";
  f.value = summarize(t_store);
  f.baseline_name = "bare SELECT into a reserved unordered_map";
  f.baseline = summarize(t_bare);
  f.ratio_name = "store/bare, paired";
  f.ratio = paired(t_store, t_bare);
  f.target_goal = goal::at_most;
  f.target = 1.3;
  rep.add(f);
}

// -- 6a. memory per cursor ----------------------------------------------------

bench::sql::memory_figures memory_probe(const std::string& which,
                                        const std::string& db, size_t rows) {
  bench::child_process probe{{"memory", which, db, std::to_string(rows)}};
  std::string line;
  if (!probe.read_line(line, 120000))
    die("the memory probe did not answer");
  bench::sql::memory_figures result;
  if (std::sscanf(line.c_str(), "bytes_per_row %lf %lf %lf", &result.rss,
                  &result.rss_trimmed, &result.heap)
      != 3)
    die("unexpected probe output: " + line);
  if (probe.finish(60000) != 0)
    die("the memory probe failed");
  return result;
}

void bench_memory(bench::report& rep, const options& opt,
                  const std::string& dir,
                  const std::vector<std::string>& peers) {
  auto db = dir + "/memory.db";
  bench::sql::prefill(db, peers, "1700000000000-0", opt.shuffled, opt.seed);
  std::vector<bench::sql::memory_figures> store;
  std::vector<bench::sql::memory_figures> bare;
  int runs = opt.pick(3, 5);
  for (int r = 0; r < runs; ++r) {
    store.push_back(memory_probe("store", db, peers.size()));
    bare.push_back(memory_probe("bare", db, peers.size()));
  }
  auto pick = [](const std::vector<bench::sql::memory_figures>& xs,
                 double bench::sql::memory_figures::*field) {
    std::vector<double> result;
    for (auto& x : xs)
      result.push_back(x.*field);
    return summarize(result);
  };
  auto n = std::to_string(peers.size());
  struct {
    std::string name;
    double bench::sql::memory_figures::*field;
    bool target;
  } rows[] = {
      {"resident bytes per cursor at " + n
           + " cursors (RSS delta of a fresh process, as it holds it)",
       &bench::sql::memory_figures::rss, true},
      {"resident bytes per cursor after malloc_trim",
       &bench::sql::memory_figures::rss_trimmed, false},
      {"heap bytes in use per cursor (mallinfo2)",
       &bench::sql::memory_figures::heap, false},
  };
  for (auto& row : rows) {
    figure f;
    f.section = "6 memory";
    f.name = row.name;
    f.unit = "B";
    f.value = pick(store, row.field);
    f.baseline_name = "bare SELECT into unordered_map<string, pair<string, "
                      "int64>>, connection open";
    f.baseline = pick(bare, row.field);
    f.ratio_name = "store/bare";
    f.ratio = f.value.median / f.baseline.median;
    if (row.target) {
      f.target_goal = goal::at_most;
      f.target = 160;
      f.target_on_value = true;
    }
    rep.add(f);
  }
}

// -- 7. WAL -------------------------------------------------------------------

void bench_wal(bench::report& rep, const options& opt, const std::string& dir,
               const std::vector<std::string>& peers) {
  auto auto_db = dir + "/wal-auto.db";
  auto periodic_db = dir + "/wal-periodic.db";
  bench::sql::prefill(auto_db, peers, "1700000000000-0", opt.shuffled,
                      opt.seed);
  bench::sql::prefill(periodic_db, peers, "1700000000000-0", opt.shuffled,
                      opt.seed);
  int runs = opt.pick(3, 5);
  // Small flushes (the question of the issue), then 10k-row flushes: each
  // of those writes more than 1000 pages, so with the automatic checkpoint
  // every commit also checkpoints.
  struct experiment {
    size_t rows;
    size_t flushes;
    size_t period;
  };
  experiment experiments[] = {{100, opt.full ? size_t{1000} : size_t{300}, 20},
                              {10000, opt.full ? size_t{40} : size_t{15}, 5}};
  for (auto& e : experiments) {
    latency_runs a;
    latency_runs p;
    std::vector<double> ckpt_ms;
    for (int r = 0; r < runs; ++r) {
      for (int k = 0; k < 2; ++k) {
        auto seed = opt.seed + static_cast<uint64_t>(r) + e.rows;
        if ((r + k) % 2 == 0) {
          auto res = bench::sql::wal_experiment(auto_db, peers, e.flushes,
                                                e.rows, 0, seed);
          add_run(a, times(res.flush_seconds, 1e3));
        } else {
          auto res = bench::sql::wal_experiment(periodic_db, peers, e.flushes,
                                                e.rows, e.period, seed);
          add_run(p, times(res.flush_seconds, 1e3));
          for (auto x : res.checkpoint_seconds)
            ckpt_ms.push_back(x * 1e3);
        }
      }
    }
    auto what = std::to_string(e.flushes) + " flushes of "
                + std::to_string(e.rows) + " random keys per run";
    auto fig = [&](const std::string& name, const std::vector<double>& v,
                   const std::vector<double>& b) {
      figure f;
      f.section = "7 WAL";
      f.name = name + " (" + std::to_string(e.rows) + " rows)";
      f.unit = "ms";
      f.value = summarize(v);
      f.baseline_name = "automatic checkpoint (SQLite default, 1000 pages)";
      f.baseline = summarize(b);
      f.ratio_name = "periodic/auto";
      f.ratio = f.value.median / f.baseline.median;
      f.note = what;
      rep.add(f);
    };
    fig("flush p50, periodic PASSIVE checkpoint every "
            + std::to_string(e.period) + " flushes",
        p.p50, a.p50);
    fig("flush p99, periodic checkpoint", p.p99, a.p99);
    fig("flush max, periodic checkpoint", p.max, a.max);
    figure c;
    c.section = "7 WAL";
    c.name = "the periodic checkpoint itself, every " + std::to_string(e.period)
             + " flushes of " + std::to_string(e.rows)
             + " rows (a flush arriving meanwhile " + "waits)";
    c.unit = "ms";
    c.value = summarize(ckpt_ms);
    rep.add(c);
  }
}

// -- helper process modes -----------------------------------------------------

int serve_main(int argc, char** argv) {
  std::string policy = "stealing";
  std::string db;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--policy=", 0) == 0)
      policy = arg.substr(9);
    else if (arg.rfind("--db=", 0) == 0)
      db = arg.substr(5);
  }
  bench_config cfg{policy, true};
  caf::actor_system sys{cfg};
  auto store = open_store(sys, db, std::chrono::seconds(5));
  auto bare = sys.spawn(bare_behavior, size_t{0});
  // Published with the batched interface (the handle's static type decides
  // what the middleman announces).
  auto published = caf::actor_cast<cursor_actor>(store);
  auto p1 = sys.middleman().publish(published, 0, "127.0.0.1");
  auto p2 = sys.middleman().publish(bare, 0, "127.0.0.1");
  if (!p1 || !p2) {
    std::fprintf(stderr, "serve: publish failed\n");
    anon_send_exit(bare, caf::exit_reason::user_shutdown);
    stop_store(sys, store, std::chrono::seconds(30));
    return 1;
  }
  std::printf("ports %u %u\n", static_cast<unsigned>(*p1),
              static_cast<unsigned>(*p2));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "hwm") {
      std::printf("hwm %lld %lld\n",
                  static_cast<long long>(bench::status_kb("VmHWM")),
                  static_cast<long long>(bench::status_kb("VmRSS")));
      std::fflush(stdout);
    } else if (line == "cpu") {
      rusage usage{};
      getrusage(RUSAGE_SELF, &usage);
      auto ms = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) * 1e3
               + static_cast<double>(tv.tv_usec) / 1e3;
      };
      std::printf("cpu %.3f\n", ms(usage.ru_utime) + ms(usage.ru_stime));
      std::fflush(stdout);
    } else if (line == "quit") {
      break;
    }
  }
  sys.middleman().unpublish(published, *p1);
  sys.middleman().unpublish(bare, *p2);
  anon_send_exit(bare, caf::exit_reason::user_shutdown);
  return stop_store(sys, store, std::chrono::seconds(60)) ? 0 : 1;
}

int memory_main(int argc, char** argv) {
  if (argc < 5)
    return 2;
  std::string which = argv[2];
  std::string db = argv[3];
  auto rows = static_cast<size_t>(std::stoull(argv[4]));
  if (which == "bare") {
    auto m = bench::sql::bare_load_memory(db, rows);
    std::printf("bytes_per_row %.1f %.1f %.1f\n", m.rss, m.rss_trimmed, m.heap);
    return 0;
  }
  bench_config cfg{"stealing", false};
  caf::actor_system sys{cfg};
  {
    // Let the scheduler's threads start and touch their stacks first.
    caf::scoped_actor self{sys};
  }
  malloc_trim(0);
  auto before = bench::rss_bytes();
  auto heap_before = mallinfo2().uordblks;
  auto store = open_store(sys, db, std::chrono::seconds(5));
  auto stats = ask<cursor_stats>(sys, store, stats_atom_v);
  auto after = bench::rss_bytes();
  auto heap_after = mallinfo2().uordblks;
  malloc_trim(0);
  auto trimmed = bench::rss_bytes();
  if (stats.entries != rows) {
    std::fprintf(stderr, "memory: loaded %llu rows, expected %zu\n",
                 static_cast<unsigned long long>(stats.entries), rows);
    stop_store(sys, store, std::chrono::seconds(30));
    return 1;
  }
  auto per_row = [rows](double x) { return x / static_cast<double>(rows); };
  std::printf("bytes_per_row %.1f %.1f %.1f\n",
              per_row(static_cast<double>(after - before)),
              per_row(static_cast<double>(trimmed - before)),
              per_row(static_cast<double>(heap_after)
                      - static_cast<double>(heap_before)));
  std::fflush(stdout);
  return stop_store(sys, store, std::chrono::seconds(60)) ? 0 : 1;
}

// -- main ---------------------------------------------------------------------

std::string read_first(const char* path, const char* key) {
  std::ifstream in{path};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0)
      return line;
  return "";
}

int bench_main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* prefix) -> std::string {
      return arg.substr(std::string{prefix}.size());
    };
    if (arg == "--full") {
      opt.full = true;
    } else if (arg == "--quick") {
      opt.full = false;
    } else if (arg.rfind("--only=", 0) == 0) {
      for (auto& s : split(value("--only="), ','))
        opt.only.insert(s);
    } else if (arg.rfind("--sizes=", 0) == 0) {
      for (auto& s : split(value("--sizes="), ','))
        opt.sizes.push_back(std::stoull(s));
    } else if (arg.rfind("--runs=", 0) == 0) {
      opt.runs = std::stoi(value("--runs="));
    } else if (arg.rfind("--rows=", 0) == 0) {
      opt.rows = std::stoull(value("--rows="));
    } else if (arg.rfind("--dir=", 0) == 0) {
      opt.dir = value("--dir=");
    } else if (arg.rfind("--seed=", 0) == 0) {
      opt.seed = std::stoull(value("--seed="));
    } else if (arg.rfind("--markdown=", 0) == 0) {
      opt.markdown = value("--markdown=");
    } else if (arg.rfind("--policy=", 0) == 0) {
      opt.policy = value("--policy=");
    } else if (arg == "--layout=shuffled") {
      opt.shuffled = true;
    } else if (arg == "--layout=sorted") {
      opt.shuffled = false;
    } else {
      std::fprintf(stderr,
                   "usage: cursor_bench [--quick|--full] [--only=flush,set,"
                   "get,remote,flood,startup,memory,wal] [--sizes=1,100] "
                   "[--runs=N] [--rows=N] [--dir=PATH] [--seed=N] "
                   "[--markdown=FILE] [--policy=stealing|sharing] "
                   "[--layout=sorted|shuffled]\n");
      return 2;
    }
  }
  if (opt.rows < 1000) {
    std::fprintf(stderr, "--rows must be at least 1000\n");
    return 2;
  }
  bool own_dir = opt.dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/cursor_bench.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    opt.dir = tmpl;
  } else {
    std::filesystem::create_directories(opt.dir);
  }
  std::printf("cursor_bench (%s mode)\n", opt.full ? "full" : "quick");
  std::printf("machine: %u CPUs, %s, %s\n", std::thread::hardware_concurrency(),
              read_first("/proc/cpuinfo", "model name").c_str(),
              read_first("/proc/meminfo", "MemTotal").c_str());
  std::printf("directory: %s, rows: %zu (inserted %s), seed: %llu, local "
              "policy: %s\n",
              opt.dir.c_str(), opt.rows,
              opt.shuffled ? "in random order" : "in key order",
              static_cast<unsigned long long>(opt.seed), opt.policy.c_str());
  std::fflush(stdout);
  auto t0 = clock_type::now();
  bench::report rep;
  int rc = 0;
  try {
    auto peers = make_peers(opt.rows);
    if (opt.wants("flush"))
      bench_flush(rep, opt, opt.dir, peers);
    if (opt.wants("set"))
      bench_set(rep, opt, opt.dir, peers);
    if (opt.wants("get"))
      bench_get(rep, opt, opt.dir, peers);
    if (opt.wants("remote"))
      bench_remote(rep, opt, opt.dir, peers);
    if (opt.wants("flood"))
      bench_flood(rep, opt, opt.dir, peers);
    if (opt.wants("startup"))
      bench_startup(rep, opt, opt.dir, peers);
    if (opt.wants("memory"))
      bench_memory(rep, opt, opt.dir, peers);
    if (opt.wants("wal"))
      bench_wal(rep, opt, opt.dir, peers);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cursor_bench: FAILED: %s\n", e.what());
    rc = 1;
  }
  std::printf("\n");
  rep.print_markdown(stdout);
  if (!opt.markdown.empty()) {
    if (auto out = std::fopen(opt.markdown.c_str(), "w")) {
      rep.print_markdown(out);
      std::fclose(out);
    }
  }
  std::printf("\ntotal: %.1f s\n", seconds_since(t0));
  if (own_dir)
    std::filesystem::remove_all(opt.dir);
  if (rc == 0 && rep.empty()) {
    std::fprintf(stderr, "cursor_bench: nothing was measured\n");
    rc = 1;
  }
  return rc;
}

} // namespace

int main(int argc, char** argv) {
  // The library logs through the spdlog logger "cursor"; register it first
  // so the lock scenario's expected busy warnings do not flood the output.
  auto logger = spdlog::stderr_color_mt("cursor");
  logger->set_level(spdlog::level::critical);
  try {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "serve")
      return serve_main(argc, argv);
    if (mode == "hold-lock")
      return argc > 2 ? bench::sql::hold_lock_main(argv[2]) : 2;
    if (mode == "memory")
      return memory_main(argc, argv);
    return bench_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cursor_bench %s: %s\n", argc > 1 ? argv[1] : "",
                 e.what());
    return 1;
  }
}
