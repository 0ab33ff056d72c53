#include "tailer/redis_connection.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "tailer/error.hpp"

namespace cursor::tailer {

namespace {

timeval to_timeval(caf::timespan x) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(x).count();
  if (us < 1000)
    us = 1000;
  timeval tv;
  tv.tv_sec = static_cast<time_t>(us / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1000000);
  return tv;
}

std::string millis(caf::timespan x) {
  return std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(x).count())
         + " ms";
}

} // namespace

void reply_deleter::operator()(redisReply* x) const {
  free_reply(x);
}

reply_ptr parse_reply(std::string_view bytes) {
  arena_context arenas;
  auto* reader = redisReaderCreate();
  use_reply_arenas(reader, &arenas);
  redisReaderFeed(reader, bytes.data(), bytes.size());
  void* raw = nullptr;
  auto rc = redisReaderGetReply(reader, &raw);
  redisReaderFree(reader);
  if (rc != REDIS_OK)
    return nullptr;
  return reply_ptr{static_cast<redisReply*>(raw)};
}

caf::expected<redis_connection>
redis_connection::open(const endpoint& where, caf::timespan connect_timeout,
                       caf::timespan io_timeout) {
  auto* ctx = redisConnectWithTimeout(where.host.c_str(), where.port,
                                      to_timeval(connect_timeout));
  if (ctx == nullptr)
    return caf::make_error(errc::redis_unreachable,
                           "cannot connect to Redis at " + where.to_string()
                               + ": out of memory");
  if (ctx->err != 0) {
    std::string cause = ctx->errstr;
    if (cause.find("timed out") != std::string::npos
        || cause.find("Resource temporarily unavailable") != std::string::npos)
      cause = "no connection within " + millis(connect_timeout);
    redisFree(ctx);
    return caf::make_error(errc::redis_unreachable,
                           "cannot connect to Redis at " + where.to_string()
                               + ": " + cause);
  }
  redisEnableKeepAlive(ctx);
  auto arenas = std::make_unique<arena_context>();
  use_reply_arenas(ctx->reader, arenas.get());
  // Keep the read buffer between replies: by default hiredis frees it once
  // it is empty and above 16 KiB, i.e. after every batch of entries, and
  // allocates it again for the next.
  ctx->reader->maxbuf = 0;
  redis_connection result{ctx, std::move(arenas), where, caf::timespan{0}};
  if (auto err = result.set_io_timeout(io_timeout))
    return err;
  return result;
}

redis_connection::redis_connection(redisContext* ctx,
                                   std::unique_ptr<arena_context> arenas,
                                   endpoint where, caf::timespan timeout)
    : ctx_(ctx), arenas_(std::move(arenas)), where_(std::move(where)),
      timeout_(timeout) {
  // nop
}

redis_connection::redis_connection(redis_connection&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)),
      arenas_(std::move(other.arenas_)), where_(std::move(other.where_)),
      timeout_(other.timeout_) {
  // nop
}

redis_connection&
redis_connection::operator=(redis_connection&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr)
      redisFree(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
    arenas_ = std::move(other.arenas_);
    where_ = std::move(other.where_);
    timeout_ = other.timeout_;
  }
  return *this;
}

redis_connection::~redis_connection() {
  if (ctx_ != nullptr)
    redisFree(ctx_);
}

caf::error redis_connection::set_io_timeout(caf::timespan timeout) {
  if (timeout == timeout_)
    return {};
  if (redisSetTimeout(ctx_, to_timeval(timeout)) != REDIS_OK)
    return io_error();
  timeout_ = timeout;
  return {};
}

void redis_connection::append(size_t argc, const char** argv,
                              const size_t* lengths) {
  // Fails only when out of memory; the next read_reply() reports it.
  redisAppendCommandArgv(ctx_, static_cast<int>(argc), argv, lengths);
}

void redis_connection::append(std::initializer_list<std::string_view> argv) {
  const char* ptrs[16];
  size_t lengths[16];
  size_t n = 0;
  for (auto& x : argv) {
    if (n == 16)
      break;
    ptrs[n] = x.data();
    lengths[n] = x.size();
    ++n;
  }
  append(n, ptrs, lengths);
}

caf::expected<reply_ptr> redis_connection::read_reply() {
  void* raw = nullptr;
  if (ctx_->err != 0 || redisGetReply(ctx_, &raw) != REDIS_OK
      || raw == nullptr) {
    if (raw != nullptr)
      freeReplyObject(raw);
    return io_error();
  }
  return reply_ptr{static_cast<redisReply*>(raw)};
}

caf::expected<reply_ptr>
redis_connection::run(std::initializer_list<std::string_view> argv) {
  append(argv);
  auto reply = read_reply();
  if (reply && (*reply)->type == REDIS_REPLY_ERROR)
    return reply_error(**reply, argv.size() > 0 ? *argv.begin() : "", where_);
  return reply;
}

bool redis_connection::broken() const {
  return ctx_ == nullptr || ctx_->err != 0;
}

caf::error redis_connection::io_error() {
  std::string cause;
  if (ctx_->err == REDIS_ERR_EOF)
    cause = "the server closed the connection";
  else if (ctx_->err == REDIS_ERR_IO
           && (std::strstr(ctx_->errstr, "temporarily unavailable") != nullptr
               || std::strstr(ctx_->errstr, "timed out") != nullptr))
    cause = "no reply within " + millis(timeout_);
  else if (ctx_->err != 0)
    cause = ctx_->errstr;
  else
    cause = "connection failed";
  // Whatever happened, this context is not to be used again.
  if (ctx_->err == 0)
    ctx_->err = REDIS_ERR_OTHER;
  return caf::make_error(errc::redis_io,
                         "Redis at " + where_.to_string() + ": " + cause);
}

std::string error_text(const redisReply& reply) {
  return std::string{reply.str, reply.len};
}

caf::error reply_error(const redisReply& reply, std::string_view command,
                       const endpoint& where) {
  return caf::make_error(errc::redis_error,
                         "Redis at " + where.to_string() + " refused "
                             + std::string{command} + ": " + error_text(reply));
}

} // namespace cursor::tailer
