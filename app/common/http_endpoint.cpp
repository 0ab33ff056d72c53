#include "common/http_endpoint.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <spdlog/logger.h>

#include "common/status_board.hpp"

namespace cursor::app {

namespace {

using clock = std::chrono::steady_clock;

struct addrinfo_list {
  addrinfo* head = nullptr;
  ~addrinfo_list() {
    if (head != nullptr)
      ::freeaddrinfo(head);
  }
};

std::string render(const sockaddr_storage& addr, socklen_t len) {
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host,
                    sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV)
      != 0)
    return "?";
  if (addr.ss_family == AF_INET6)
    return std::string{"["} + host + "]:" + port;
  return std::string{host} + ":" + port;
}

bool is_loopback(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    return (ntohl(in.sin_addr.s_addr) >> 24) == 127;
  }
  if (addr.ss_family == AF_INET6) {
    const auto& in = reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&in))
      return true;
    return IN6_IS_ADDR_V4MAPPED(&in) && in.s6_addr[12] == 127;
  }
  return false;
}

// Our own listening socket, handed to libmicrohttpd, so that a refusal names
// the real reason (the library only says that it could not start).
int listen_on(const endpoint& where, sockaddr_storage& bound,
              socklen_t& bound_len, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  auto port = std::to_string(where.port);
  addrinfo_list found;
  if (int rc
      = ::getaddrinfo(where.host.c_str(), port.c_str(), &hints, &found.head);
      rc != 0) {
    error = std::string{"cannot resolve '"} + where.host
            + "': " + ::gai_strerror(rc);
    return -1;
  }
  const addrinfo* ai = found.head;
  int fd
      = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                 ai->ai_protocol);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  // As the node's BASP port: a restart after a crash gets the port back
  // although old connections linger in TIME_WAIT; a second live listener is
  // still refused.
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
    error = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  bound_len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  return fd;
}

} // namespace

unsigned per_ip_limit(unsigned max_connections) {
  return std::max(1u, max_connections / 4);
}

struct http_endpoint::impl {
  impl(const status_board& b, probe_rules r, const http_limits& l,
       std::shared_ptr<spdlog::logger> lg)
      : board(b), rules(std::move(r)), limits(l), log(std::move(lg)) {
    // nop
  }

  const status_board& board;
  const probe_rules rules;
  const http_limits limits;
  std::shared_ptr<spdlog::logger> log;
  std::string address;
  bool loopback = false;
  MHD_Daemon* daemon = nullptr;

  // -- request deadlines (the reaper) ----------------------------------------

  struct deadline {
    int fd = -1;
    clock::time_point due;
    bool shut = false;
  };

  // Guards `open` and `stopping`. libmicrohttpd reports a connection closed
  // before it closes the descriptor, under this mutex: the reaper never
  // shuts down a descriptor number that was reused meanwhile.
  std::mutex mtx;
  std::condition_variable wake;
  bool stopping = false;
  std::unordered_map<MHD_Connection*, deadline> open;
  std::thread reaper;
  std::atomic<uint64_t> shut_count{0};

  void started(MHD_Connection* c, int fd) {
    std::lock_guard<std::mutex> guard{mtx};
    open[c] = deadline{fd, clock::now() + limits.timeout, false};
  }

  void rearm(MHD_Connection* c) {
    std::lock_guard<std::mutex> guard{mtx};
    if (auto i = open.find(c); i != open.end())
      i->second.due = clock::now() + limits.timeout;
  }

  void forget(MHD_Connection* c) {
    std::lock_guard<std::mutex> guard{mtx};
    open.erase(c);
  }

  void reap() {
    auto tick = std::clamp<clock::duration>(limits.timeout / 4,
                                            std::chrono::milliseconds(100),
                                            std::chrono::seconds(1));
    std::unique_lock<std::mutex> guard{mtx};
    while (!stopping) {
      wake.wait_for(guard, tick);
      auto now = clock::now();
      for (auto& [c, x] : open)
        if (!x.shut && x.fd >= 0 && now >= x.due) {
          // Counted first: the client sees the close as soon as the
          // descriptor is shut down, and may read the count at once.
          ++shut_count;
          x.shut = true;
          // The library sees the end of the stream and closes the
          // connection on its own thread.
          ::shutdown(x.fd, SHUT_RDWR);
        }
    }
  }

  // -- the library's messages ------------------------------------------------

  std::mutex log_mtx;
  clock::time_point next_warning;
  uint64_t suppressed = 0;

  void message(const char* format, va_list ap) {
    char text[512];
    std::vsnprintf(text, sizeof(text), format, ap);
    auto n = std::strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
      text[--n] = '\0';
    std::lock_guard<std::mutex> guard{log_mtx};
    auto now = clock::now();
    // A flood of hostile connections makes one message each: warn about
    // the first and then every ten seconds, not every time.
    if (now < next_warning) {
      ++suppressed;
      log->debug("http: {}", text);
      return;
    }
    if (suppressed > 0)
      log->warn("http: {} ({} more messages of the HTTP library since the "
                "last warning, logged at debug level)",
                text, suppressed);
    else
      log->warn("http: {}", text);
    suppressed = 0;
    next_warning = now + std::chrono::seconds(10);
  }
};

namespace {

using impl = http_endpoint::impl;

// Where a request stands, in the library's per-request pointer.
char pending_tag;  // GET or HEAD: answered once the whole request is in
char answered_tag; // answered: any body that follows is dropped

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url,
                      const char* method, const char*, const char*,
                      size_t* upload_data_size, void** request_state) {
  auto* self = static_cast<impl*>(cls);
  if (*request_state == &answered_tag) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  std::string_view verb{method};
  bool safe = verb == "GET" || verb == "HEAD";
  if (*request_state == nullptr && safe) {
    // The library keeps a connection alive only for an answer queued after
    // the whole request arrived: the next call, once any body has been
    // read (and dropped).
    *request_state = &pending_tag;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    // A body (a GET with one): dropped, within the request's deadline.
    *upload_data_size = 0;
    return MHD_YES;
  }
  *request_state = &answered_tag;
  // Other methods are answered (405) before their body is read; the
  // library then closes the connection instead of reading it.
  auto reply = answer_probe(method, url, self->board.read(), clock::now(),
                            self->rules);
  auto* response = MHD_create_response_from_buffer(
      reply.body.size(), reply.body.data(), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr)
    return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                          reply.content_type.c_str());
  MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (!reply.allow.empty())
    MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW,
                            reply.allow.c_str());
  auto result = MHD_queue_response(connection, reply.status, response);
  MHD_destroy_response(response);
  return result;
}

void on_connection(void* cls, MHD_Connection* connection, void**,
                   MHD_ConnectionNotificationCode code) {
  auto* self = static_cast<impl*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const auto* info = MHD_get_connection_info(
        connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    self->started(connection, info != nullptr ? info->connect_fd : -1);
  } else {
    self->forget(connection);
  }
}

// A request was answered (or abandoned): the next one on this connection,
// or its idle wait, gets a fresh deadline.
void on_completed(void* cls, MHD_Connection* connection, void**,
                  MHD_RequestTerminationCode) {
  static_cast<impl*>(cls)->rearm(connection);
}

void on_message(void* cls, const char* format, va_list ap) {
  static_cast<impl*>(cls)->message(format, ap);
}

} // namespace

std::unique_ptr<http_endpoint>
http_endpoint::start(const endpoint& where, const http_limits& limits,
                     const status_board& board, probe_rules rules,
                     std::shared_ptr<spdlog::logger> log, std::string& error) {
  auto x
      = std::make_unique<impl>(board, std::move(rules), limits, std::move(log));
  sockaddr_storage bound{};
  socklen_t bound_len = 0;
  int fd = listen_on(where, bound, bound_len, error);
  if (fd < 0)
    return nullptr;
  x->address = render(bound, bound_len);
  x->loopback = is_loopback(bound);
  unsigned flags
      = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (bound.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  // The logger first: the library logs the options that follow with it.
  x->daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &on_request, x.get(),
      MHD_OPTION_EXTERNAL_LOGGER, &on_message, x.get(),
      MHD_OPTION_LISTEN_SOCKET, static_cast<MHD_socket>(fd),
      MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned int>(limits.max_connections),
      MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      static_cast<unsigned int>(limits.per_ip), MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned int>(2 * limits.timeout.count()),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      static_cast<size_t>(limits.memory_per_connection),
      MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_NOTIFY_CONNECTION,
      &on_connection, x.get(), MHD_OPTION_NOTIFY_COMPLETED, &on_completed,
      x.get(), MHD_OPTION_END);
  if (x->daemon == nullptr) {
    // Whether the library closed the socket on this path depends on where it
    // failed: leaving it open costs one descriptor in a process about to
    // exit; closing it twice could close someone else's.
    error = "libmicrohttpd could not start (see the log)";
    return nullptr;
  }
  x->reaper = std::thread{[p = x.get()] { p->reap(); }};
  return std::unique_ptr<http_endpoint>{new http_endpoint(std::move(x))};
}

http_endpoint::http_endpoint(std::unique_ptr<impl> x) : impl_(std::move(x)) {
  // nop
}

http_endpoint::~http_endpoint() {
  // Closes the listening socket and every connection (each reported closed
  // first), then joins the library's thread.
  MHD_stop_daemon(impl_->daemon);
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->reaper.join();
}

const std::string& http_endpoint::address() const {
  return impl_->address;
}

bool http_endpoint::loopback() const {
  return impl_->loopback;
}

uint64_t http_endpoint::deadline_closes() const {
  return impl_->shut_count.load();
}

} // namespace cursor::app
