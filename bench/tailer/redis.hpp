#pragma once

// redis-server processes and plain hiredis connections for the tailer
// benchmark. No CAF and no tailer code here: the baseline must be bare.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

struct redisContext;
struct redisReply;

namespace bench::redis {

/// A redis-server child on 127.0.0.1, persistence off (`--save ""
/// --appendonly no`), its output in `<dir>/<name>.log`. Throws if it does
/// not answer PING within 10 s. Shut down (NOSAVE) and reaped on
/// destruction.
class server {
public:
  server(const std::string& binary, const std::string& dir,
         const std::string& name);
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();

  uint16_t port() const { return port_; }

  /// CPU time the server used so far (user + system), in seconds.
  double cpu_seconds() const;
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

struct reply_deleter {
  void operator()(redisReply* x) const;
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

/// A blocking hiredis connection; throws on any error.
class client {
public:
  explicit client(uint16_t port);
  client(const client&) = delete;
  client& operator=(const client&) = delete;
  ~client();

  /// Queues a command (binary-safe arguments).
  void append(const std::vector<std::string>& argv);
  void append(size_t argc, const char** argv, const size_t* lengths);
  /// Reads the next reply (error replies included); throws on I/O errors.
  reply_ptr read();
  /// append + read; throws on an error reply.
  reply_ptr run(const std::vector<std::string>& argv);

  redisContext* context() { return ctx_; }

private:
  redisContext* ctx_ = nullptr;
};

/// The stream's length.
uint64_t xlen(client& c, const std::string& key);

/// The stream's last generated ID, "0" when it does not exist.
std::string last_id(client& c, const std::string& key);

} // namespace bench::redis
