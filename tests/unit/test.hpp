#pragma once

// Shared fixtures of the unit suites. Every suite file defines CAF_SUITE and
// includes this header; test.cpp holds the one unit_test_impl include.

#define FAIL CAF_FAIL // the DSL's request<T>() expects this name

#include <caf/test/dsl.hpp>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "cursor_actor/cursor_actor.hpp"
#include "cursor_actor_internal.hpp"
#include "mock_writer.hpp"

/// CAF_CHECK / CAF_REQUIRE that print `msg` (a stream expression) on failure.
/// `cond` is evaluated exactly once (it may have side effects).
#define CHECK_MSG(cond, msg)                                                   \
  do {                                                                         \
    const bool check_msg_ok_ = static_cast<bool>(cond);                        \
    if (!check_msg_ok_)                                                        \
      CAF_MESSAGE("failed check: " #cond ": " << msg);                         \
    CAF_CHECK(check_msg_ok_);                                                  \
  } while (false)
#define REQUIRE_MSG(cond, msg)                                                 \
  do {                                                                         \
    const bool require_msg_ok_ = static_cast<bool>(cond);                      \
    if (!require_msg_ok_)                                                      \
      CAF_MESSAGE("failed requirement: " #cond ": " << msg);                   \
    CAF_REQUIRE(require_msg_ok_);                                              \
  } while (false)

namespace test {

/// A config with every cursor type announced.
struct config : caf::actor_system_config {
  config() { cursor::register_types(*this); }
};

/// A fresh directory under $TMPDIR, removed with everything in it.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }

  std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

/// Reads every row of the `cursors` table of `db_path` with a connection of
/// its own (not through the store): peer -> stream_id.
std::map<std::string, std::string> read_rows(const std::string& db_path);

/// The stored stream ID of `peer` in `db_path`, or "<absent>".
std::string row(const std::string& db_path, const std::string& peer);

/// Reads a whole file as bytes.
std::string read_file(const std::string& path);

/// Writes `content` to `path`, replacing it.
void write_file(const std::string& path, const std::string& content);

/// Spawns a function-based client actor running `f(self)`. The dummy
/// argument works around CAF 0.17.6 dereferencing a null
/// `shared_ptr<tuple<>>` for function-based actors without arguments, which
/// UBSan reports as a reference bound to null.
template <class F>
caf::actor spawn_client(caf::actor_system& sys, F f) {
  return sys.spawn([f](caf::event_based_actor* self, int) { f(self); }, 0);
}

/// The answer to a request, filled in when it arrives.
template <class T>
struct reply {
  std::shared_ptr<std::optional<caf::expected<T>>> slot
      = std::make_shared<std::optional<caf::expected<T>>>();

  bool arrived() const { return slot->has_value(); }

  /// The value (a copy: CAF_CHECK_EQUAL binds references to its arguments,
  /// and a reply is often a temporary); fails the test when the reply is
  /// missing or an error.
  T value() const {
    if (!arrived())
      CAF_FAIL("no reply arrived");
    if (!**slot)
      CAF_FAIL("expected a value, got " << cursor::render((*slot)->error()));
    return ***slot;
  }

  /// The error; fails the test when the reply is missing or a value.
  caf::error error() const {
    if (!arrived())
      CAF_FAIL("no reply arrived");
    if (**slot)
      CAF_FAIL("expected an error, got a value");
    return (*slot)->error();
  }
};

/// Sends (xs...) to `hdl` from a fresh client actor, without a timeout; the
/// reply lands in the returned slot once the messages are processed.
template <class T, class Handle, class... Ts>
reply<T> request_from_client(caf::actor_system& sys, Handle hdl, Ts... xs) {
  reply<T> result;
  auto slot = result.slot;
  spawn_client(sys, [=](caf::event_based_actor* client) {
    client->request(hdl, caf::infinite, xs...)
        .then(
            [=](T& x) { *slot = caf::expected<T>{std::move(x)}; },
            [=](caf::error& err) { *slot = caf::expected<T>{std::move(err)}; });
  });
  return result;
}

/// The scripted middleman of a remote store forwarder
/// (app::remote_store::connector): answers `connect` with `store` (its
/// interface, or a foreign one with `wrong_iface`), or refuses while `store`
/// is null. Every attempt is recorded.
struct connect_script {
  caf::actor store;
  bool wrong_iface = false;
  std::vector<std::string> attempts;
};

inline caf::behavior fake_middleman(caf::event_based_actor* self,
                                    std::shared_ptr<connect_script> c) {
  using result
      = caf::result<caf::node_id, caf::strong_actor_ptr, std::set<std::string>>;
  return {
      [self, c](caf::connect_atom, const std::string& host,
                uint16_t port) -> result {
        c->attempts.push_back(host + ":" + std::to_string(port));
        if (!c->store)
          return caf::make_error(caf::sec::cannot_connect_to_node,
                                 "connection refused");
        auto ifs
            = c->wrong_iface
                  ? std::set<std::string>{"caf::replies_to<@i32>::with<@i32>"}
                  : self->system().message_types<cursor::cursor_actor>();
        return result{caf::node_id{},
                      caf::actor_cast<caf::strong_actor_ptr>(c->store),
                      std::move(ifs)};
      },
  };
}

/// A deterministic fixture: the cursor actor over a scripted mock writer, both
/// on the test coordinator. Time only moves through advance_time().
struct store_fixture : test_coordinator_fixture<config> {
  std::shared_ptr<mock_script> script = std::make_shared<mock_script>();
  cursor::writer_actor writer;
  cursor::cursor_actor_internal store;
  cursor::cursor_options opts;

  store_fixture();

  ~store_fixture() override;

  /// (Re)spawns the store over a new mock writer holding `rows` on "disk".
  void start(std::vector<cursor::stored_cursor> rows = {});

  /// Processes every message, and every delayed message due now (sent with
  /// a zero delay: the store yields between the slices of a paged `list`
  /// that way), without moving the clock: no timer fires.
  void drain() {
    do {
      while (sched.try_run_once()) {
        // nop
      }
    } while (sched.advance_time(caf::timespan{0}) > 0);
  }

  /// Sends a request from a fresh client actor; the reply lands in the
  /// returned slot once the messages are processed (call drain()).
  template <class T, class Handle, class... Ts>
  reply<T> send_to(Handle hdl, Ts... xs) {
    return request_from_client<T>(sys, hdl, xs...);
  }

  template <class T, class... Ts>
  reply<T> send(Ts... xs) {
    return send_to<T>(store, xs...);
  }

  /// Sends a request and processes messages until it is answered.
  template <class T, class... Ts>
  reply<T> ask(Ts... xs) {
    auto result = send<T>(xs...);
    drain();
    return result;
  }

  /// Shorthands for the most used messages.
  caf::error set(const std::string& peer, const std::string& id);
  caf::error force_set(const std::string& peer, const std::string& id);
  cursor::cursor_lookup get(const std::string& peer);
  std::vector<cursor::cursor_entry> list();
  uint64_t dirty_count();
  cursor::cursor_stats stats();

  /// True if the actor behind `hdl` terminated.
  template <class Handle>
  bool terminated(const Handle& hdl) {
    auto ptr = caf::actor_cast<caf::abstract_actor*>(hdl);
    return ptr == nullptr || ptr->getf(caf::abstract_actor::is_terminated_flag);
  }
};

/// What a completion callback of (error, rows) heard: how often, and the last
/// answer. The write scheduler's and the shutdown sequence's suites check
/// that every waiter is answered exactly once.
struct heard {
  int calls = 0;
  caf::error err;
  uint64_t rows = 0;
};

/// A fresh `heard` and the callback that fills it.
inline auto listener() {
  auto h = std::make_shared<heard>();
  auto fn = [h](const caf::error& err, uint64_t rows) {
    h->calls += 1;
    h->err = err;
    h->rows = rows;
  };
  return std::make_pair(h, fn);
}

} // namespace test
