#pragma once

// One synchronous connection to a Redis server through hiredis 0.14. Every
// call blocks the calling thread: only the tailer's detached actors (the
// source readers and target writers, each on its own thread) use it, never a
// CAF scheduler thread.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "tailer/endpoint.hpp"
#include "tailer/reply_arena.hpp"

struct redisContext;
struct redisReply;

namespace cursor::tailer {

struct reply_deleter {
  void operator()(redisReply* x) const;
};

/// A reply owned by the caller, built in an arena (reply_arena.hpp) and
/// freed with it.
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

/// Parses one reply from RESP bytes the way a connection does (arena
/// included); nothing when the bytes hold no complete reply. For tests.
reply_ptr parse_reply(std::string_view bytes);

/// Move-only owner of a `redisContext`. After an I/O failure the connection
/// is broken for good: drop it and open a new one.
class redis_connection {
public:
  /// Connects to `where` within `connect_timeout` (TCP keep-alive on) and
  /// sets `io_timeout` for every later read and write. Errors:
  /// `errc::redis_unreachable` naming the address and the cause.
  static caf::expected<redis_connection> open(const endpoint& where,
                                              caf::timespan connect_timeout,
                                              caf::timespan io_timeout);

  redis_connection(redis_connection&& other) noexcept;
  redis_connection& operator=(redis_connection&& other) noexcept;
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;
  ~redis_connection();

  /// Sets the socket timeout for the following reads and writes (no system
  /// call when it is unchanged).
  caf::error set_io_timeout(caf::timespan timeout);

  /// Queues a command (binary-safe arguments); nothing is sent before the
  /// next read_reply(). Pipelining: queue many, then read their replies in
  /// order.
  void append(size_t argc, const char** argv, const size_t* lengths);
  void append(std::initializer_list<std::string_view> argv);

  /// Sends what is queued and reads the next reply, error replies included
  /// (check `type`). Errors: `errc::redis_io` when the connection broke or
  /// no reply came within the I/O timeout; the connection is then broken.
  caf::expected<reply_ptr> read_reply();

  /// append() + read_reply(), and an error reply of Redis becomes
  /// `errc::redis_error` naming the command.
  caf::expected<reply_ptr> run(std::initializer_list<std::string_view> argv);

  /// Whether an I/O failure broke the connection.
  bool broken() const;

  const endpoint& where() const { return where_; }

private:
  redis_connection(redisContext* ctx, std::unique_ptr<arena_context> arenas,
                   endpoint where, caf::timespan timeout);

  caf::error io_error();

  redisContext* ctx_ = nullptr;
  std::unique_ptr<arena_context> arenas_;
  endpoint where_;
  caf::timespan timeout_{0};
};

/// Redis's message of an error reply ("WRONGTYPE Operation against ...").
std::string error_text(const redisReply& reply);

/// `errc::redis_error` for an error reply to `command` at `where`.
caf::error reply_error(const redisReply& reply, std::string_view command,
                       const endpoint& where);

} // namespace cursor::tailer
