#include "tailer/store_link.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include "cursor_actor/actors.hpp"
#include "cursor_actor/error.hpp"
#include "tailer/error.hpp"

namespace cursor::tailer {

namespace {

// What the link's hooks share (all run in the forwarder's context).
struct link_replay {
  std::shared_ptr<spdlog::logger> log;
  /// The last position the node acknowledged per peer not forgotten: sent
  /// again at each connection (see store_link.hpp).
  std::map<std::string, std::string> acked;
  /// Peers stopped for good: their acknowledgements are no longer kept (the
  /// pipeline records once more after it stopped).
  std::set<std::string> forgotten;
};

using link_replay_ptr = std::shared_ptr<link_replay>;

void note_acked(link_replay& r, const std::vector<std::string>& peers,
                const std::vector<std::string>& ids) {
  for (size_t i = 0; i < peers.size() && i < ids.size(); ++i)
    if (r.forgotten.count(peers[i]) == 0)
      r.acked[peers[i]] = ids[i];
}

// Whether the node refused a position itself (as opposed to not answering).
bool replay_refused(const caf::error& err) {
  return cursor::is(err, cursor::errc::regression)
         || cursor::is(err, cursor::errc::invalid_peer_id)
         || cursor::is(err, cursor::errc::invalid_stream_id);
}

void replay_done(const link_replay_ptr& r, app::connection_step& step,
                 size_t sent, size_t refused) {
  r->log->info("sent the last acknowledged positions of {} peers to the "
               "cursor node again ({} refused)",
               sent, refused);
  step.done();
}

void replay_failed(app::connection_step& step, const caf::error& err) {
  step.fail("sending the acknowledged positions again failed: "
            + describe(err));
}

// The batch was refused (all or nothing): one set per peer, so that one
// refusal does not keep the others back.
void replay_one_by_one(const link_replay_ptr& r, app::connection_step step,
                       const std::vector<std::string>& peers,
                       const std::vector<std::string>& ids) {
  struct tally {
    size_t left = 0;
    size_t refused = 0;
    caf::error failure;
  };
  auto t = std::make_shared<tally>();
  t->left = peers.size();
  for (size_t i = 0; i < peers.size(); ++i) {
    auto finish = [r, step, t, peer = peers[i],
                   id = ids[i]](const caf::error& err) mutable {
      if (err && replay_refused(err)) {
        ++t->refused;
        r->log->warn("peer '{}': the cursor node refused its last "
                     "acknowledged position {} again: {}",
                     peer, id, describe(err));
        auto known = r->acked.find(peer);
        if (known != r->acked.end() && known->second == id)
          r->acked.erase(known);
      } else if (err && !t->failure) {
        t->failure = err;
      }
      if (--t->left > 0)
        return;
      if (t->failure)
        replay_failed(step, t->failure);
      else
        replay_done(r, step, r->acked.size(), t->refused);
    };
    step.send_set({peers[i]}, {ids[i]}, std::move(finish));
  }
}

// The connection step: the acknowledged positions as one batch.
void replay(const link_replay_ptr& r, app::connection_step step) {
  if (r->acked.empty()) {
    step.done();
    return;
  }
  std::vector<std::string> peers;
  std::vector<std::string> ids;
  for (auto& [peer, id] : r->acked) {
    peers.push_back(peer);
    ids.push_back(id);
  }
  auto then = [r, step, peers, ids](const caf::error& err) mutable {
    if (!err)
      replay_done(r, step, peers.size(), 0);
    else if (replay_refused(err))
      replay_one_by_one(r, step, peers, ids);
    else
      replay_failed(step, err);
  };
  step.send_set(peers, ids, std::move(then));
}

} // namespace

store_link_actor spawn_store_link(caf::actor_system& sys, link_options opts,
                                  std::shared_ptr<spdlog::logger> log) {
  auto r = std::make_shared<link_replay>();
  r->log = log;
  app::forwarder_options fo;
  fo.store_name = "the cursor node at " + opts.node.to_string();
  fo.request_timeout = opts.request_timeout;
  app::remote_store remote;
  remote.host = opts.node.host;
  remote.port = opts.node.port;
  remote.connect_timeout = opts.connect_timeout;
  remote.retry_base_delay = opts.retry_base_delay;
  remote.retry_max_delay = opts.retry_max_delay;
  remote.connector = std::move(opts.connector);
  fo.remote = std::move(remote);
  fo.hooks.on_connect
      = [r](app::connection_step step) { replay(r, std::move(step)); };
  fo.hooks.on_acked_set = [r](const std::vector<std::string>& peers,
                              const std::vector<std::string>& ids) {
    note_acked(*r, peers, ids);
  };
  fo.hooks.forget = [r](const std::string& peer) {
    r->acked.erase(peer);
    r->forgotten.insert(peer);
  };
  return app::spawn_store_forwarder(sys, cursor_actor{}, std::move(fo),
                                    std::move(log));
}

} // namespace cursor::tailer
