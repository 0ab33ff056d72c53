#include "pump.hpp"

namespace bench {

using namespace cursor;

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

} // namespace bench
