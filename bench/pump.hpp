#pragma once

// The pump: one-way sets with a bounded number of windows in flight, each
// window acknowledged by a dirty-count request.

#include <memory>
#include <string>
#include <vector>

#include "bare_actor.hpp"
#include "common.hpp"

namespace bench {

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
      caf::anon_send(target, cursor::set_atom_v, job->peers[st.sent % n_peers],
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
        caf::anon_send(target, cursor::set_atom_v, std::move(peers),
                       std::move(ids));
      }
    }
  }
  st.outstanding += 1;
  self->request(target, caf::infinite, cursor::dirty_atom_v)
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

/// A job of `updates` updates over the first `n_peers` peers, `batch` per
/// message; advances `base` past the stream IDs it used.
std::shared_ptr<pump_job> make_set_job(const std::vector<std::string>& peers,
                                       size_t n_peers, size_t updates,
                                       size_t batch, uint64_t& base);

// Checks that the store took every update of `job` (each peer's last one).
void check_pump_result(caf::actor_system& sys,
                       const cursor::cursor_actor& store, const pump_job& job);

} // namespace bench
