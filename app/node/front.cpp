#include "node/front.hpp"

#include <utility>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/logger.h>

#include "cursor_actor/backup_name.hpp"
#include "cursor_actor/error.hpp"

namespace cursor::node {

namespace {

struct front_state {
  cursor_actor store;
  caf::timespan timeout = caf::timespan{0};
  std::shared_ptr<spdlog::logger> log;
  /// `node.backup-dir`, without a trailing '/'; empty = backups disabled.
  std::string backup_dir;

  static inline const char* name = "cursor_front";
};

using front_pointer = cursor_actor::stateful_pointer<front_state>;

caf::error wrap(caf::error err) {
  if (err.category() == caf::atom("cursor"))
    return err;
  return caf::make_error(errc::stopped,
                         "the store did not answer: " + caf::to_string(err));
}

// Forwards (xs...) to the store and answers the original sender, through a
// promise, with the store's reply or error. Never delegate(): that would
// hand the store's handle to the (remote) sender.
template <class Result, class... Ts>
caf::result<Result> forward(front_pointer self, Ts... xs) {
  auto rp = self->make_response_promise<Result>();
  self->request(self->state.store, self->state.timeout, std::move(xs)...)
      .then(
          [rp](Result& x) mutable { rp.deliver(std::move(x)); },
          [rp](caf::error& err) mutable { rp.deliver(wrap(std::move(err))); });
  return rp;
}

// A client names a backup file; only the node chooses where it goes.
caf::result<uint64_t> forward_backup(front_pointer self,
                                     const std::string& name) {
  auto& st = self->state;
  if (st.backup_dir.empty())
    return caf::make_error(errc::backups_disabled,
                           "backups are disabled on this node (set "
                           "node.backup-dir)");
  if (auto err = validate_backup_name(name)) {
    st.log->warn("front: refused backup name: {}", render(err));
    return err;
  }
  return forward<uint64_t>(self, backup_atom_v, st.backup_dir + "/" + name);
}

cursor_actor::behavior_type front(front_pointer self, cursor_actor store,
                                  caf::timespan timeout,
                                  std::shared_ptr<spdlog::logger> log,
                                  std::string backup_dir) {
  self->state.store = std::move(store);
  self->state.timeout = timeout;
  self->state.log = std::move(log);
  while (backup_dir.size() > 1 && backup_dir.back() == '/')
    backup_dir.pop_back();
  self->state.backup_dir = std::move(backup_dir);
  // Anyone who can reach the published front can send these.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (msg.reason)
      self->state.log->debug("front: ignored exit message ({})",
                             caf::to_string(msg.reason));
  });
  self->set_error_handler([self](caf::error& err) {
    self->state.log->debug("front: ignored stray error message ({})",
                           caf::to_string(err));
  });
  self->set_down_handler([](caf::down_msg&) {
    // We monitor nobody: a forged down message means nothing.
  });
  // Whatever is not in `cursor_actor`: unknown messages, and the store's
  // internal ones (retry, tick, list slices), which its public type lacks.
  self->set_default_handler(
      [self](caf::scheduled_actor*,
             caf::message_view& msg) -> caf::result<caf::message> {
        self->state.log->debug("front: refused a message outside the "
                               "interface");
        return caf::make_error(caf::sec::unexpected_message,
                               "not a message of the cursor store's public "
                               "interface (cursor::cursor_actor): "
                                 + caf::to_string(msg.content()).substr(0, 80));
      });
  return {
      [self](set_atom a, std::string& peer, std::string& id) {
        return forward<ok_atom>(self, a, std::move(peer), std::move(id));
      },
      [self](set_atom a, force_atom f, std::string& peer, std::string& id) {
        return forward<ok_atom>(self, a, f, std::move(peer), std::move(id));
      },
      [self](set_atom a, std::vector<std::string>& peers,
             std::vector<std::string>& ids) {
        return forward<ok_atom>(self, a, std::move(peers), std::move(ids));
      },
      [self](set_atom a, force_atom f, std::vector<std::string>& peers,
             std::vector<std::string>& ids) {
        return forward<ok_atom>(self, a, f, std::move(peers), std::move(ids));
      },
      [self](set_atom a, expect_atom e, std::string& peer, std::string& want,
             std::string& id) {
        return forward<ok_atom>(self, a, e, std::move(peer), std::move(want),
                                std::move(id));
      },
      [self](set_atom a, expect_atom e, force_atom f, std::string& peer,
             std::string& want, std::string& id) {
        return forward<ok_atom>(self, a, e, f, std::move(peer), std::move(want),
                                std::move(id));
      },
      [self](set_atom a, expect_atom e, std::vector<std::string>& peers,
             std::vector<std::string>& wants, std::vector<std::string>& ids) {
        return forward<ok_atom>(self, a, e, std::move(peers), std::move(wants),
                                std::move(ids));
      },
      [self](set_atom a, expect_atom e, force_atom f,
             std::vector<std::string>& peers, std::vector<std::string>& wants,
             std::vector<std::string>& ids) {
        return forward<ok_atom>(self, a, e, f, std::move(peers),
                                std::move(wants), std::move(ids));
      },
      [self](get_atom a, std::string& peer) {
        return forward<cursor_lookup>(self, a, std::move(peer));
      },
      [self](get_atom a, start_atom s, std::string& peer) {
        return forward<std::string>(self, a, s, std::move(peer));
      },
      [self](list_atom a) {
        return forward<std::vector<cursor_entry>>(self, a);
      },
      [self](list_atom a, std::string& after,
             uint32_t limit) -> caf::result<cursor_page> {
        if (limit == 0 || limit > 100000)
          return caf::make_error(errc::invalid_list_request,
                                 "the limit must be 1 to 100000, not "
                                   + std::to_string(limit));
        return forward<cursor_page>(self, a, std::move(after), limit);
      },
      [self](dirty_atom a) { return forward<uint64_t>(self, a); },
      [self](flush_atom a) { return forward<uint64_t>(self, a); },
      [self](delete_atom a, std::string& peer) {
        return forward<bool>(self, a, std::move(peer));
      },
      [self](checkpoint_atom a) { return forward<checkpoint_info>(self, a); },
      [self](stats_atom a) { return forward<cursor_stats>(self, a); },
      [self](backup_atom, const std::string& name) {
        return forward_backup(self, name);
      },
      [self](close_atom) -> caf::result<uint64_t> {
        // A client that closes the store would refuse every later write of
        // every client until a restart. Stopping the store is the host's
        // job: the node's shutdown flushes, checkpoints and closes it.
        self->state.log->debug("front: refused a close message from a client");
        return caf::make_error(
            caf::sec::unexpected_message,
            "close is not a remote operation: the store is closed by its host "
            "(stop the node with SIGTERM; its shutdown flushes and closes the "
            "store)");
      },
  };
}

} // namespace

cursor_actor spawn_front(caf::actor_system& sys, cursor_actor store,
                         caf::timespan timeout,
                         std::shared_ptr<spdlog::logger> log,
                         std::string backup_dir) {
  return sys.spawn(front, std::move(store), timeout, std::move(log),
                   std::move(backup_dir));
}

} // namespace cursor::node
