#pragma once

// One operation on the writer that is retried with backoff while SQLite is
// busy: a write round or a checkpoint. It holds the bookkeeping both share
// (token, attempts, the delay of the next retry, the retry counter, the log
// line); the cursor actor sends the request and the delayed retry message.
//
// Tokens: every attempt and every pending retry carries a fresh random token.
// A reply or a retry message with another token is stale or forged and does
// nothing, so no timer needs cancelling.

#include <cstdint>
#include <optional>
#include <string>

#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include "cursor_actor/options.hpp"

namespace cursor {

class retrying_operation {
public:
  /// `name` appears in log lines and errors ("cursor_flush"); `retries`
  /// (may be null) is the counter bumped per retry. Both must outlive the
  /// operation.
  retrying_operation(const char* name, uint64_t* retries);

  /// Starts the next attempt under `token` (non-zero, fresh).
  void begin_attempt(uint64_t token);

  /// Whether a reply carrying `token` answers the attempt in flight.
  bool is_reply(uint64_t token) const {
    return !waiting_retry_ && token != 0 && token == token_;
  }

  /// Whether a retry message carrying `token` is the pending one.
  bool is_retry(uint64_t token) const {
    return waiting_retry_ && token != 0 && token == token_;
  }

  /// After a busy failure of the attempt in flight: if `policy` allows
  /// another attempt, counts and logs the retry, waits under `token` and
  /// returns the delay after which the caller sends the retry message;
  /// otherwise returns none (the operation gave up).
  std::optional<caf::timespan> plan_retry(const retry_policy& policy,
                                          uint64_t token,
                                          const std::string& detail);

  /// The error after the last attempt failed busy: the same code, the
  /// number of attempts and `detail`.
  std::string gave_up(const std::string& detail) const;

  uint32_t attempts() const { return attempt_; }

  const char* name() const { return name_; }

private:
  const char* name_;
  uint64_t* retries_;
  uint64_t token_ = 0;
  uint32_t attempt_ = 0;
  // True between a busy failure and its delayed retry.
  bool waiting_retry_ = false;
};

} // namespace cursor
