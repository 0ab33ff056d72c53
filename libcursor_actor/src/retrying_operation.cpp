#include "retrying_operation.hpp"

#include <chrono>

#include "logger.hpp"

namespace cursor {

retrying_operation::retrying_operation(const char* name, uint64_t* retries)
    : name_(name), retries_(retries) {
  // nop
}

void retrying_operation::begin_attempt(uint64_t token) {
  attempt_ += 1;
  waiting_retry_ = false;
  token_ = token;
}

std::optional<caf::timespan>
retrying_operation::plan_retry(const retry_policy& policy, uint64_t token,
                               const std::string& detail) {
  if (attempt_ >= policy.max_attempts)
    return std::nullopt;
  auto delay = policy.delay_after(attempt_);
  if (retries_ != nullptr)
    *retries_ += 1;
  log()->warn(
      "{} busy (attempt {} of {}), retrying in {} ms{}{}", name_, attempt_,
      policy.max_attempts,
      std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(),
      detail.empty() ? "" : ": ", detail);
  waiting_retry_ = true;
  token_ = token;
  return delay;
}

std::string retrying_operation::gave_up(const std::string& detail) const {
  return "gave up after " + std::to_string(attempt_) + " attempts: " + detail;
}

} // namespace cursor
