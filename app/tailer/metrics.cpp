#include "tailer/metrics.hpp"

#include <cstdio>

namespace cursor::tailer {

std::string escape_label(const std::string& value) {
  std::string result;
  result.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      result += "\\\\";
    else if (c == '"')
      result += "\\\"";
    else if (c == '\n')
      result += "\\n";
    else
      result += c;
  }
  return result;
}

namespace {

void header(std::string& out, const char* name, const char* type,
            const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

template <class F>
void per_peer(std::string& out, const std::vector<peer_stats>& peers,
              const char* name, const char* type, const char* help, F value) {
  header(out, name, type, help);
  for (const auto& x : peers) {
    out += name;
    out += "{peer=\"" + escape_label(x.peer) + "\"} ";
    out += value(x);
    out += '\n';
  }
}

template <class F>
void per_party(std::string& out, const std::vector<peer_stats>& peers,
               const char* name, const char* type, const char* help, F value) {
  header(out, name, type, help);
  for (const char* party : {"source", "target", "store"})
    for (const auto& x : peers) {
      out += name;
      out += "{peer=\"" + escape_label(x.peer) + "\",party=\"" + party + "\"} ";
      out += value(x, std::string_view{party});
      out += '\n';
    }
}

std::string seconds(uint64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ms) / 1000.0);
  return buf;
}

} // namespace

std::string render_metrics(const std::vector<peer_stats>& peers) {
  using std::to_string;
  std::string out;
  header(out, "replication_tailer_peers", "gauge", "Peers configured.");
  out += "replication_tailer_peers " + to_string(peers.size()) + "\n";
  per_peer(out, peers, "replication_tailer_entries_applied_total", "counter",
           "Entries written to the target stream.",
           [](const peer_stats& x) { return to_string(x.applied); });
  per_peer(out, peers, "replication_tailer_duplicates_total", "counter",
           "Entries found in the target already (read again after a restart, "
           "compared with the target's).",
           [](const peer_stats& x) { return to_string(x.duplicates); });
  per_peer(out, peers, "replication_tailer_gaps_total", "counter",
           "Gaps: source entries deleted before the tailer read them.",
           [](const peer_stats& x) { return to_string(x.gaps); });
  per_peer(out, peers, "replication_tailer_batches_total", "counter",
           "Batches applied to the target.",
           [](const peer_stats& x) { return to_string(x.batches); });
  per_peer(out, peers, "replication_tailer_lag_seconds", "gauge",
           "Time between the source stream's last ID and the last applied "
           "ID (both millisecond stamps).",
           [](const peer_stats& x) { return seconds(x.lag_ms); });
  per_peer(
      out, peers, "replication_tailer_peer_failed", "gauge",
      "1 once the peer stopped for good (gap, source or target behind, "
      "target hole, cursor moved elsewhere).",
      [](const peer_stats& x) { return std::string{x.failed ? "1" : "0"}; });
  header(out, "replication_tailer_peer_fault", "gauge",
         "1 for the reason a stopped peer stopped for (docs/TAILER.md, "
         "\"Stopped peers\"); no sample while the peer runs.");
  for (const auto& x : peers)
    if (x.failed && !x.fault.empty())
      out += "replication_tailer_peer_fault{peer=\"" + escape_label(x.peer)
             + "\",reason=\"" + escape_label(x.fault) + "\"} 1\n";
  per_party(out, peers, "replication_tailer_errors_total", "counter",
            "Failed attempts to reach the source, the target or the cursor "
            "store (each retried with backoff).",
            [](const peer_stats& x, std::string_view party) {
              return to_string(party == "source"   ? x.source_errors
                               : party == "target" ? x.target_errors
                                                   : x.store_errors);
            });
  per_party(out, peers, "replication_tailer_up", "gauge",
            "1 while the last attempt with the source, the target or the "
            "store succeeded.",
            [](const peer_stats& x, std::string_view party) {
              bool up = party == "source"   ? x.source_up
                        : party == "target" ? x.target_up
                                            : x.store_up;
              return std::string{up ? "1" : "0"};
            });
  return out;
}

} // namespace cursor::tailer
