#define CAF_SUITE host_http_endpoint

#include "common/http_endpoint.hpp"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/test/unit_test.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include "common/status_board.hpp"

using namespace cursor::app;
using namespace std::chrono_literals;

namespace {

using clock = std::chrono::steady_clock;

// A client socket from `source` (a loopback address) to 127.0.0.1:`port`,
// closed on destruction.
class client {
public:
  client(uint16_t port, const char* source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof(from));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    connected_
        = ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0;
  }

  ~client() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  bool connected() const { return connected_; }

  bool send(const std::string& text) {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL)
           == static_cast<ssize_t>(text.size());
  }

  // Reads until the server closes the connection or `limit` passes; returns
  // what arrived. `closed` tells whether the server closed it.
  std::string read_all(std::chrono::milliseconds limit, bool& closed) {
    std::string result;
    closed = false;
    auto deadline = clock::now() + limit;
    while (clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - clock::now());
      if (::poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0)
        continue;
      char buf[4096];
      auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed = true;
        return result;
      }
      result.append(buf, static_cast<size_t>(n));
    }
    return result;
  }

  // One request on a keep-alive connection: reads until the body announced
  // by Content-Length is complete.
  std::string exchange(const std::string& request) {
    send(request);
    std::string result;
    auto deadline = clock::now() + 10s;
    while (clock::now() < deadline) {
      auto head_end = result.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        auto at = result.find("Content-Length: ");
        if (at != std::string::npos && at < head_end) {
          auto length = std::stoul(result.substr(at + 16));
          if (result.size() >= head_end + 4 + length)
            return result;
        }
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0)
        continue;
      char buf[4096];
      auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0)
        return result;
      result.append(buf, static_cast<size_t>(n));
    }
    return result;
  }

private:
  int fd_ = -1;
  bool connected_ = false;
};

size_t open_descriptors() {
  size_t n = 0;
  for ([[maybe_unused]] auto& entry :
       std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

struct fixture {
  status_board board;
  std::ostringstream log_text;
  std::shared_ptr<spdlog::logger> log;
  http_limits limits;
  probe_rules rules;

  fixture() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text);
    sink->set_pattern("%l %v");
    log = std::make_shared<spdlog::logger>("test", sink);
    log->set_level(spdlog::level::debug);
    rules.metrics_prefix = "replication_test";
    board.set_phase(host_phase::serving);
    board.publish("# TYPE a counter\na 1\n", "");
  }

  std::unique_ptr<http_endpoint> start(const std::string& address
                                       = "127.0.0.1:0") {
    endpoint where;
    CAF_REQUIRE_EQUAL(parse_endpoint(address, where, port_rule::any_allowed),
                      "");
    std::string error;
    auto x = http_endpoint::start(where, limits, board, rules, log, error);
    if (!x)
      CAF_MESSAGE("start refused: " << error);
    return x;
  }

  static uint16_t port_of(const http_endpoint& x) {
    auto& a = x.address();
    return static_cast<uint16_t>(std::stoi(a.substr(a.rfind(':') + 1)));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(http_endpoint_tests, fixture)

CAF_TEST(the endpoint serves the board over a connection kept alive) {
  auto http = start();
  CAF_REQUIRE(http != nullptr);
  CAF_CHECK(http->loopback());
  CAF_CHECK_EQUAL(http->address().rfind("127.0.0.1:", 0), 0u);
  client c{port_of(*http)};
  CAF_REQUIRE(c.connected());
  auto m = c.exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  CAF_CHECK_EQUAL(m.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  CAF_CHECK(m.find("Content-Type: text/plain; version=0.0.4; charset=utf-8")
            != std::string::npos);
  CAF_CHECK(m.find("\r\n\r\n# TYPE a counter\na 1\n") != std::string::npos);
  CAF_CHECK(m.find("replication_test_ready 1\n") != std::string::npos);
  // The same connection: the next request, a HEAD, a query string.
  auto r = c.exchange("GET /readyz?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  CAF_CHECK_EQUAL(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  CAF_CHECK_EQUAL(r.substr(r.size() - 6), "ready\n");
  c.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  bool closed = false;
  auto h = c.read_all(500ms, closed);
  CAF_CHECK_EQUAL(h.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  CAF_CHECK(h.find("Content-Length: 14\r\n") != std::string::npos);
  // No body after the headers.
  CAF_CHECK_EQUAL(h.substr(h.size() - 4), "\r\n\r\n");
  CAF_CHECK(!closed);
}

CAF_TEST(a post is refused without reading its body and the connection closed) {
  auto http = start();
  CAF_REQUIRE(http != nullptr);
  client c{port_of(*http)};
  // A declared body of 1 GB, never sent.
  c.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n"
         "\r\n");
  bool closed = false;
  auto x = c.read_all(5s, closed);
  CAF_CHECK_EQUAL(x.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u);
  CAF_CHECK(x.find("Allow: GET, HEAD\r\n") != std::string::npos);
  CAF_CHECK(closed);
}

CAF_TEST(a get with a body is answered once the body is dropped) {
  auto http = start();
  CAF_REQUIRE(http != nullptr);
  client c{port_of(*http)};
  auto r = c.exchange("GET /readyz HTTP/1.1\r\nHost: x\r\n"
                      "Content-Length: 5\r\n\r\nhello");
  CAF_CHECK_EQUAL(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  CAF_CHECK_EQUAL(r.substr(r.size() - 6), "ready\n");
  // The body did not become the next request: the connection serves on.
  r = c.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CAF_CHECK_EQUAL(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

CAF_TEST(a port in use is refused and the first endpoint serves on) {
  auto first = start();
  CAF_REQUIRE(first != nullptr);
  auto before = open_descriptors();
  endpoint where{"127.0.0.1", port_of(*first)};
  std::string error;
  auto second = http_endpoint::start(where, limits, board, rules, log, error);
  CAF_CHECK(second == nullptr);
  CAF_CHECK_EQUAL(error, "Address already in use");
  CAF_CHECK_EQUAL(open_descriptors(), before);
  client c{port_of(*first)};
  CAF_CHECK_EQUAL(c.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                      .rfind("HTTP/1.1 200", 0),
                  0u);
}

CAF_TEST(an address of no local interface is refused) {
  // TEST-NET-1 (RFC 5737): never an address of this machine; bind only,
  // nothing is sent.
  endpoint where{"192.0.2.1", 0};
  std::string error;
  auto x = http_endpoint::start(where, limits, board, rules, log, error);
  CAF_CHECK(x == nullptr);
  CAF_CHECK_EQUAL(error, "Cannot assign requested address");
}

CAF_TEST(every interface is not loopback) {
  auto http = start("0.0.0.0:0");
  CAF_REQUIRE(http != nullptr);
  CAF_CHECK(!http->loopback());
  auto v6 = start("[::1]:0");
  CAF_REQUIRE(v6 != nullptr);
  CAF_CHECK(v6->loopback());
  CAF_CHECK_EQUAL(v6->address().rfind("[::1]:", 0), 0u);
}

CAF_TEST(a client trickling its headers is cut off at the deadline) {
  // The library's own timeout is twice the deadline (6 s), a backstop; a
  // header line every 100 ms keeps the connection far from idle, so only
  // the request deadline can end it by 3.75 s, which deadline_closes()
  // tells apart. (With both at 3 s the library won the race on CI.)
  limits.timeout = 3s;
  auto http = start();
  CAF_REQUIRE(http != nullptr);
  client c{port_of(*http)};
  c.send("GET /metrics HTTP/1.1\r\nHost: x\r\n");
  auto opened = clock::now();
  // The point is that it ends (the loop gives up after 300 sends, at least
  // 30 s), by the deadline (deadline_closes()), and not before it: no upper
  // bound on the time, which a loaded machine stretches.
  bool closed = false;
  for (int i = 0; i < 300 && !closed; ++i) {
    if (!c.send("X-Slow-" + std::to_string(i) + ": 1\r\n"))
      closed = true;
    else
      c.read_all(100ms, closed);
  }
  auto lasted = clock::now() - opened;
  CAF_CHECK(closed);
  CAF_CHECK(lasted >= 3s);
  CAF_CHECK_EQUAL(http->deadline_closes(), 1u);
  // The endpoint serves the next client.
  client d{port_of(*http)};
  CAF_CHECK_EQUAL(d.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                      .rfind("HTTP/1.1 200", 0),
                  0u);
}

CAF_TEST(a connection beyond the limits costs no descriptor) {
  // Two per address, three in all. A held connection would only close at
  // the deadline, an hour away: a close within seconds is the limit's.
  limits.timeout = 1h;
  limits.max_connections = 3;
  limits.per_ip = 2;
  auto http = start();
  CAF_REQUIRE(http != nullptr);
  auto port = port_of(*http);
  const std::string get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  bool closed = false;
  std::vector<std::unique_ptr<client>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<client>(port));
    // Served, so it has been accepted and counted before the next one.
    CAF_CHECK_EQUAL(held.back()->exchange(get).rfind("HTTP/1.1 200", 0), 0u);
  }
  // Over the limit of its address: accepted and closed at once.
  client third_same{port};
  third_same.send(get);
  CAF_CHECK_EQUAL(third_same.read_all(5s, closed), "");
  CAF_CHECK(closed);
  // Another address still gets in, up to the total.
  client other{port, "127.0.0.2"};
  CAF_CHECK_EQUAL(other.exchange(get).rfind("HTTP/1.1 200", 0), 0u);
  // Over the total: not accepted, so no descriptor of ours; it waits in
  // the kernel's listen backlog until a connection closes.
  auto before = open_descriptors();
  client fourth{port, "127.0.0.3"};
  fourth.send(get);
  CAF_CHECK_EQUAL(fourth.read_all(1s, closed), "");
  CAF_CHECK(!closed);
  CAF_CHECK_EQUAL(open_descriptors(), before + 1); // the client's own
  held.pop_back();
  auto answer = fourth.exchange("");
  CAF_CHECK_EQUAL(answer.rfind("HTTP/1.1 200", 0), 0u);
  CAF_CHECK(log_text.str().find("warning http: ") != std::string::npos);
}

CAF_TEST(headers beyond the memory of a connection are refused) {
  auto http = start();
  CAF_REQUIRE(http != nullptr);
  client c{port_of(*http)};
  // 64 KiB of headers against a 16 KiB pool: the library answers before
  // reading them all.
  std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 1024; ++i)
    request += "X-Filler-" + std::to_string(i) + ": " + std::string(50, 'a')
               + "\r\n";
  request += "\r\n";
  c.send(request);
  bool closed = false;
  auto x = c.read_all(5s, closed);
  CAF_CHECK_EQUAL(x.rfind("HTTP/1.1 431", 0), 0u);
  CAF_CHECK(closed);
}

CAF_TEST(stopping closes every connection and leaks no descriptor) {
  auto before = open_descriptors();
  auto http = start();
  CAF_REQUIRE(http != nullptr);
  client idle{port_of(*http)};
  client served{port_of(*http)};
  CAF_CHECK_EQUAL(served.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                      .rfind("HTTP/1.1 200", 0),
                  0u);
  http.reset();
  bool closed = false;
  idle.read_all(5s, closed);
  CAF_CHECK(closed);
  served.read_all(5s, closed);
  CAF_CHECK(closed);
  // The two clients' own descriptors are still open.
  CAF_CHECK_EQUAL(open_descriptors(), before + 2);
}

CAF_TEST_FIXTURE_SCOPE_END()
