#include "cli/read_back.hpp"

#include <algorithm>

#include <caf/error.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>

#include "cli/duration.hpp"
#include "common/describe.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/stream_id.hpp"

namespace cursor::cli {

const char* to_string(read_state x) {
  switch (x) {
    case read_state::applied:
      return "applied";
    case read_state::not_applied:
      return "not applied";
    default:
      return "unknown";
  }
}

bool may_have_applied(const caf::error& err) {
  if (!err)
    return false;
  if (err.category() == caf::atom("cursor"))
    return is(err, errc::timeout) || is(err, errc::unavailable);
  // The node (its front or its store) refused the message unread.
  if (err == caf::sec::unexpected_message)
    return false;
  // No answer in time, a lost connection, an answer that cannot be read.
  return true;
}

namespace {

// Stream IDs compared as positions (`0` and `0-0` are one), "" = absent.
bool same_state(const std::string& x, const std::string& y) {
  if (x.empty() || y.empty())
    return x.empty() && y.empty();
  auto a = stream_id::parse(x);
  auto b = stream_id::parse(y);
  if (!a || !b)
    return x == y;
  return *a == *b;
}

} // namespace

read_state classify(const std::string& from, const std::string& target,
                    const cursor_lookup& found, bool ordered) {
  auto value = found.found ? found.stream_id : std::string{};
  if (!value.empty() && same_state(value, target))
    return read_state::applied;
  if (ordered && same_state(value, from))
    return read_state::not_applied;
  return read_state::unknown;
}

// Why a read through the chunk's connection proves "not applied" (CAF
// 0.17.6, a direct connection from cursorctl to the node):
// 1. The chunk and the gets are sent by one actor (`self`) to one handle
//    (`node`, the proxy of the node's front), one after the other from one
//    thread. The proxy hands each message to the one BASP broker of this
//    process (forwarding_actor_proxy::enqueue), whose mailbox is FIFO, and
//    the broker writes them, in that order, to the one TCP connection.
// 2. The node's broker reads the connection in order and numbers each
//    message as it reads it (basp::worker::launch takes
//    message_queue::new_id()); the message_queue delivers in that order even
//    when several workers deserialize. So the front's mailbox holds the
//    chunk before the gets.
// 3. The front (store_forwarder, no connection step in a node) forwards
//    each request to the store as it handles it, one sender to one local
//    receiver: the store's mailbox holds the chunk before the gets, even
//    when the front's own request for the chunk timed out (`timeout`: the
//    chunk is still queued in the store).
// 4. The store applies a set, or refuses it, when it handles it.
// So once a get is answered through this handle, the chunk was handled:
// applied, or refused, and can no longer apply. That does not hold for a
// new connection (the old one may still deliver the chunk), hence
// `ordered` false there. A lost connection kills the proxy: a get sent to
// it bounces (`request_receiver_down`) instead of being answered, so an
// answer through `node` always came over the chunk's connection.
void read_back(caf::scoped_actor& self, const cursor_actor& node,
               std::chrono::milliseconds timeout,
               std::vector<read_back_entry>& entries,
               const reconnect_fn& reconnect) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + timeout;
  cursor_actor via = node;
  bool ordered = true;
  bool reconnected = false;
  std::string gave_up;
  for (auto& x : entries) {
    x.state = read_state::unknown;
    x.was_read = false;
    x.ordered = false;
    if (!gave_up.empty()) {
      x.read = gave_up;
      continue;
    }
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - clock::now());
      if (left <= std::chrono::milliseconds{0}) {
        gave_up = "not read: no answer within " + format_timeout(timeout);
        x.read = gave_up;
        break;
      }
      cursor_lookup found;
      caf::error failed;
      self->request(via, left, get_atom_v, x.peer)
          .receive([&](cursor_lookup& y) { found = std::move(y); },
                   [&](caf::error& e) { failed = std::move(e); });
      if (!failed) {
        x.was_read = true;
        x.ordered = ordered;
        x.read = found.found ? found.stream_id : std::string{"no cursor"};
        x.state = classify(x.from, x.target, found, ordered);
        break;
      }
      if (failed == caf::sec::request_receiver_down && !reconnected) {
        // The connection is gone: the rest is read through a new one,
        // which proves only what equals the plan.
        reconnected = true;
        ordered = false;
        std::optional<cursor_actor> fresh;
        if (reconnect)
          fresh = reconnect();
        if (fresh) {
          via = *fresh;
          continue;
        }
        gave_up = "not read: the connection to the node was lost";
        x.read = gave_up;
        break;
      }
      if (failed == caf::sec::request_timeout) {
        gave_up = "not read: no answer within " + format_timeout(timeout);
        x.read = gave_up;
        break;
      }
      x.read = "not read: " + app::describe(failed);
      break;
    }
  }
}

} // namespace cursor::cli
