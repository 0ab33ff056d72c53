#include "common/probe_reply.hpp"

#include <algorithm>
#include <cstdio>

namespace cursor::app {

namespace {

using std::chrono::duration;
using std::chrono::duration_cast;

constexpr const char* text_type = "text/plain; charset=utf-8";
// The Prometheus text exposition format.
constexpr const char* metrics_type = "text/plain; version=0.0.4; charset=utf-8";

double seconds(std::chrono::nanoseconds d) {
  return duration_cast<duration<double>>(d).count();
}

std::string fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, x);
  return buf;
}

// Empty unless the host's loop is stuck (see the header).
std::string stuck_reason(const status_board::snapshot& board,
                         status_board::clock::time_point now,
                         const probe_rules& rules) {
  if (board.phase != host_phase::serving || board.refreshes == 0)
    return {};
  auto age = now - board.refreshed_at;
  if (age <= rules.stale_after)
    return {};
  return "the metrics were last refreshed " + fixed(seconds(age), 1)
         + " s ago (limit " + fixed(seconds(rules.stale_after), 1)
         + " s): the host's loop is stuck";
}

http_reply text(unsigned status, std::string body) {
  http_reply r;
  r.status = status;
  r.content_type = text_type;
  r.body = std::move(body);
  r.body += '\n';
  return r;
}

void gauge(std::string& out, const std::string& name, const char* help,
           const std::string& value) {
  out += "# HELP " + name + ' ' + help + "\n# TYPE " + name + " gauge\n" + name
         + ' ' + value + '\n';
}

http_reply metrics(const status_board::snapshot& board,
                   status_board::clock::time_point now,
                   const probe_rules& rules) {
  if (board.refreshes == 0)
    return text(503, std::string{"no metrics yet: "} + to_string(board.phase));
  http_reply r;
  r.content_type = metrics_type;
  r.body = board.metrics;
  if (!r.body.empty() && r.body.back() != '\n')
    r.body += '\n';
  auto age = std::max(now - board.refreshed_at,
                      status_board::clock::duration::zero());
  gauge(r.body, rules.metrics_prefix + "_metrics_age_seconds",
        "Seconds since the host collected the metrics of this scrape.",
        fixed(seconds(age), 3));
  gauge(r.body, rules.metrics_prefix + "_ready",
        "1 while /readyz answers 200, else 0.",
        not_ready_reason(board, now, rules).empty() ? "1" : "0");
  return r;
}

} // namespace

std::string not_ready_reason(const status_board::snapshot& board,
                             status_board::clock::time_point now,
                             const probe_rules& rules) {
  if (board.phase != host_phase::serving)
    return to_string(board.phase);
  if (board.refreshes == 0)
    return "no refresh yet";
  if (auto stuck = stuck_reason(board, now, rules); !stuck.empty())
    return stuck;
  return board.not_ready;
}

http_reply answer_probe(std::string_view method, std::string_view path,
                        const status_board::snapshot& board,
                        status_board::clock::time_point now,
                        const probe_rules& rules) {
  if (path != "/metrics" && path != "/healthz" && path != "/readyz")
    return text(404, "not found: the paths are /metrics, /healthz and "
                     "/readyz");
  if (method != "GET" && method != "HEAD") {
    auto r = text(405, "method not allowed: GET or HEAD only");
    r.allow = "GET, HEAD";
    return r;
  }
  if (path == "/metrics")
    return metrics(board, now, rules);
  if (path == "/healthz") {
    if (auto stuck = stuck_reason(board, now, rules); !stuck.empty())
      return text(503, "not live: " + stuck);
    return text(200, std::string{"live: "} + to_string(board.phase));
  }
  if (auto why = not_ready_reason(board, now, rules); !why.empty())
    return text(503, "not ready: " + why);
  return text(200, "ready");
}

} // namespace cursor::app
