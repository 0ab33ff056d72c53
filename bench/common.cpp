#include "common.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include <caf/io/all.hpp>

namespace bench {

using namespace cursor;

bench_config::bench_config(const std::string& policy, bool io) {
  register_types(*this);
  set("scheduler.policy", caf::atom_from_string(policy));
  if (io)
    load<caf::io::middleman>();
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

[[noreturn]] void die(const std::string& what) {
  throw std::runtime_error(what);
}

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

std::vector<std::string> make_peers(size_t n, uint64_t seed) {
  static const char* const regions[]
      = {"uk",        "de",           "in",
         "eu-west-1", "us-east-2",    "ap-southeast-1",
         "sa-east-1", "ca-central-1", "eu-north-1",
         "us-west-2"};
  static const char* const tiers[]
      = {"node", "replica", "edge", "core", "prod", "dc2", "mesh"};
  static const char* const cities[]
      = {"manchester", "frankfurt", "virginia", "singapore", "london",
         "sao-paulo",  "toronto",   "mumbai",   "paris",     "ohio",
         "tokyo",      "dublin",    "leeds",    "stockholm", "oregon"};
  static const char* const roles[]
      = {"", "", "ingest", "cache", "db", "api", "stream", "worker"};
  static const char* const domains[] = {"",
                                        "",
                                        "",
                                        ".internal",
                                        ".corp.example.net",
                                        ".mesh.local",
                                        ".svc.cluster.local",
                                        ".example.org"};
  std::mt19937_64 rng{seed};
  auto pick = [&rng](const auto& xs) {
    return std::string{xs[rng() % std::size(xs)]};
  };
  std::vector<std::string> result;
  result.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    // The serial number makes every name unique: the prefix ends with '-',
    // the serial is digits, and a domain starts with '.'.
    auto head = pick(regions) + "." + pick(tiers) + "." + pick(cities);
    auto role = pick(roles);
    if (!role.empty())
      head += "-" + role;
    head += "-" + std::to_string(i);
    auto name = head + pick(domains);
    if (name.size() > 60)
      name = head;
    if (name.size() < 20)
      name += ".mesh.local";
    result.push_back(std::move(name));
  }
  std::sort(result.begin(), result.end());
  return result;
}

std::vector<std::string> make_ids(size_t n, uint64_t seed) {
  std::mt19937_64 rng{seed ^ 0x5eed};
  std::vector<std::string> result;
  result.reserve(n);
  for (size_t i = 0; i < n; ++i)
    result.push_back(std::to_string(1700000000000 + rng() % 100000000000) + "-"
                     + std::to_string(rng() % 4));
  return result;
}

// Picks `n` distinct random indexes below perm.size() (partial shuffle).
void pick_distinct(std::vector<size_t>& perm, size_t n, std::mt19937_64& rng) {
  for (size_t i = 0; i < n; ++i) {
    std::uniform_int_distribution<size_t> d{i, perm.size() - 1};
    std::swap(perm[i], perm[d(rng)]);
  }
}

round_maker::round_maker(const std::vector<std::string>& peers, uint64_t seed,
                         uint64_t first_version)
    : peers_(peers), perm_(peers.size()), rng_(seed), version_(first_version) {
  for (size_t i = 0; i < perm_.size(); ++i)
    perm_[i] = i;
}

update_round round_maker::next(size_t n, int64_t updated_at) {
  pick_distinct(perm_, n, rng_);
  update_round round;
  round.ids.resize(n);
  round.xs.resize(n);
  auto ms = std::to_string(version_++);
  for (size_t i = 0; i < n; ++i) {
    round.ids[i] = ms + "-" + std::to_string(i);
    round.xs[i]
        = bench::sql::update{&peers_[perm_[i]], &round.ids[i], updated_at};
  }
  return round;
}

void prefill_v2(const options& opt, const std::string& db,
                const std::vector<std::string>& peers) {
  sql::prefill(db, peers, make_ids(peers.size(), opt.seed), opt.shuffled,
               opt.seed, sql::schema::v2);
}

std::vector<std::string> random_keys(const std::vector<std::string>& peers,
                                     size_t n, uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::uniform_int_distribution<size_t> pick{0, peers.size() - 1};
  std::vector<std::string> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i)
    keys.push_back(peers[pick(rng)]);
  return keys;
}

namespace {

size_t write_piece_override = 0;

} // namespace

void use_write_piece(size_t n) {
  write_piece_override = n;
}

cursor_actor open_store(caf::actor_system& sys, const std::string& path,
                        caf::timespan flush_interval) {
  cursor_options opts;
  if (write_piece_override > 0)
    opts.write_piece_size = write_piece_override;
  opts.storage.db_path = path;
  // Like the baselines (WAL, synchronous=NORMAL): the sync section compares
  // FULL, the default, against NORMAL on its own.
  opts.storage.synchronous = "normal";
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

void add_run(latency_runs& acc, std::vector<double> xs) {
  if (xs.empty())
    die("no get completed");
  acc.samples += xs.size();
  acc.p50.push_back(bench::percentile(xs, 50));
  acc.p99.push_back(bench::percentile(xs, 99));
  acc.max.push_back(xs.back());
}

figure ratio_figure(std::string section, std::string name, std::string unit,
                    const std::vector<double>& values,
                    std::string baseline_name,
                    const std::vector<double>& baseline, std::string ratio_name,
                    double at_most, std::string note) {
  figure f;
  f.section = std::move(section);
  f.name = std::move(name);
  f.unit = std::move(unit);
  f.value = summarize(values);
  if (!baseline_name.empty()) {
    f.baseline_name = std::move(baseline_name);
    f.baseline = summarize(baseline);
    f.ratio_name = std::move(ratio_name);
    f.ratio = f.value.median / f.baseline.median;
  }
  if (at_most > 0) {
    f.target_goal = goal::at_most;
    f.target = at_most;
  }
  f.note = std::move(note);
  return f;
}

} // namespace bench
