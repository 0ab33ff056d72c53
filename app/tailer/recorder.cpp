#include "tailer/recorder.hpp"

#include <map>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "cursor_actor/error.hpp"

namespace cursor::tailer {

namespace {

using promise = caf::typed_response_promise<ok_atom>;

struct pending_record {
  std::string id;
  std::vector<promise> waiters;
};

struct recorder_state {
  store_api store;
  caf::timespan timeout{0};
  /// Records waiting for the next batched set, by peer.
  std::map<std::string, pending_record> next;
  bool in_flight = false;

  static inline const char* name = "cursor_recorder";
};

using recorder_pointer = recorder_actor::stateful_pointer<recorder_state>;

void deliver(std::vector<pending_record>& batch, const caf::error& err) {
  for (auto& item : batch)
    for (auto& rp : item.waiters) {
      if (err)
        rp.deliver(err);
      else
        rp.deliver(ok_atom_v);
    }
}

void send_batch(recorder_pointer self);

void done(recorder_pointer self) {
  self->state.in_flight = false;
  if (!self->state.next.empty())
    send_batch(self);
}

// A refused batch changed nothing: send its entries one by one, so that the
// refusal reaches the one pipeline it concerns and the others go through.
void send_one_by_one(recorder_pointer self,
                     std::shared_ptr<std::vector<pending_record>> batch,
                     std::vector<std::string> peers) {
  auto left = std::make_shared<size_t>(batch->size());
  for (size_t i = 0; i < batch->size(); ++i) {
    auto finish = [self, batch, left, i](const caf::error& err) {
      for (auto& rp : (*batch)[i].waiters) {
        if (err)
          rp.deliver(err);
        else
          rp.deliver(ok_atom_v);
      }
      if (--*left == 0)
        done(self);
    };
    self->request(self->state.store, self->state.timeout, set_atom_v,
                  std::move(peers[i]), (*batch)[i].id)
        .then([finish](ok_atom) { finish(caf::error{}); },
              [finish](caf::error& err) { finish(err); });
  }
}

void send_batch(recorder_pointer self) {
  auto& st = self->state;
  auto batch = std::make_shared<std::vector<pending_record>>();
  std::vector<std::string> peers;
  std::vector<std::string> ids;
  batch->reserve(st.next.size());
  for (auto& [peer, item] : st.next) {
    peers.push_back(peer);
    ids.push_back(item.id);
    batch->push_back(std::move(item));
  }
  st.next.clear();
  st.in_flight = true;
  self->request(st.store, st.timeout, set_atom_v, peers, std::move(ids))
      .then(
          [self, batch](ok_atom) {
            deliver(*batch, caf::error{});
            done(self);
          },
          [self, batch, peers](caf::error& err) mutable {
            bool refused = cursor::is(err, cursor::errc::regression)
                           || cursor::is(err, cursor::errc::invalid_peer_id)
                           || cursor::is(err, cursor::errc::invalid_stream_id);
            if (refused && batch->size() > 1) {
              send_one_by_one(self, batch, std::move(peers));
              return;
            }
            deliver(*batch, err);
            done(self);
          });
}

recorder_actor::behavior_type recorder(recorder_pointer self, store_api store,
                                       caf::timespan timeout) {
  self->state.store = std::move(store);
  self->state.timeout = timeout;
  self->set_error_handler([](caf::error&) {
    // A stray error message must not end the recorder.
  });
  return {
      [self](record_atom, std::string& peer, std::string& id) {
        auto& st = self->state;
        auto rp = self->make_response_promise<ok_atom>();
        auto& item = st.next[peer];
        item.id = std::move(id);
        item.waiters.push_back(rp);
        if (!st.in_flight)
          send_batch(self);
        return rp;
      },
  };
}

} // namespace

recorder_actor spawn_recorder(caf::actor_system& sys, store_api store,
                              caf::timespan timeout) {
  return sys.spawn(recorder, std::move(store), timeout);
}

} // namespace cursor::tailer
