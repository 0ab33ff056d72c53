#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace bench {

summary summarize(std::vector<double> xs) {
  summary result;
  if (xs.empty())
    return result;
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  result.runs = n;
  result.min = xs.front();
  result.max = xs.back();
  result.median = n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
  return result;
}

double percentile(std::vector<double>& xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto rank = static_cast<size_t>(
      std::ceil(p / 100.0 * static_cast<double>(xs.size())));
  if (rank == 0)
    rank = 1;
  return xs[std::min(rank, xs.size()) - 1];
}

std::string fmt3(double x) {
  char buf[64];
  auto a = std::fabs(x);
  if (a >= 100 || a == 0)
    std::snprintf(buf, sizeof(buf), "%.0f", x);
  else if (a >= 10)
    std::snprintf(buf, sizeof(buf), "%.1f", x);
  else if (a >= 1)
    std::snprintf(buf, sizeof(buf), "%.2f", x);
  else
    std::snprintf(buf, sizeof(buf), "%.3g", x);
  return buf;
}

namespace {

std::string show(const summary& s) {
  if (s.runs == 0)
    return "-";
  if (s.runs == 1)
    return fmt3(s.median) + " (1 run)";
  return fmt3(s.median) + " (" + fmt3(s.min) + "–" + fmt3(s.max) + ", "
         + std::to_string(s.runs) + " runs)";
}

std::string show_target(const figure& f) {
  std::string what = f.target_on_value ? " " + f.unit : "";
  switch (f.target_goal) {
    case goal::at_least:
      return "≥ " + fmt3(f.target) + what;
    case goal::at_most:
      return "≤ " + fmt3(f.target) + what;
    default:
      return "";
  }
}

} // namespace

std::string figure::verdict() const {
  auto x = target_on_value ? value.median : ratio;
  switch (target_goal) {
    case goal::at_least:
      return x >= target ? "met" : "NOT met";
    case goal::at_most:
      return x <= target ? "met" : "NOT met";
    default:
      return "";
  }
}

void report::add(figure f) {
  if (!std::isfinite(f.ratio))
    f.ratio = 0;
  std::printf("[%s] %s: %s %s", f.section.c_str(), f.name.c_str(),
              show(f.value).c_str(), f.unit.c_str());
  if (!f.baseline_name.empty())
    std::printf(" | %s: %s | %s = %s", f.baseline_name.c_str(),
                show(f.baseline).c_str(), f.ratio_name.c_str(),
                fmt3(f.ratio).c_str());
  if (f.target_goal != goal::none)
    std::printf(" | target %s: %s", show_target(f).c_str(),
                f.verdict().c_str());
  if (!f.note.empty())
    std::printf(" | %s", f.note.c_str());
  std::printf("\n");
  std::fflush(stdout);
  figures_.push_back(std::move(f));
}

void report::print_markdown(std::FILE* out) const {
  std::fprintf(out, "| section | figure | median (min–max, runs) | unit | "
                    "baseline | baseline median (min–max, runs) | ratio | "
                    "target | met |\n");
  std::fprintf(out, "|---|---|---|---|---|---|---|---|---|\n");
  for (auto& f : figures_) {
    std::string ratio;
    if (!f.ratio_name.empty())
      ratio = fmt3(f.ratio) + " (" + f.ratio_name + ")";
    auto name = f.name;
    if (!f.note.empty())
      name += " — " + f.note;
    std::fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                 f.section.c_str(), name.c_str(), show(f.value).c_str(),
                 f.unit.c_str(), f.baseline_name.c_str(),
                 f.baseline_name.empty() ? "" : show(f.baseline).c_str(),
                 ratio.c_str(), show_target(f).c_str(), f.verdict().c_str());
  }
}

int64_t rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  int64_t size = 0;
  int64_t resident = 0;
  in >> size >> resident;
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

int64_t status_kb(const char* key) {
  std::ifstream in{"/proc/self/status"};
  std::string line;
  auto len = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, len, key) == 0 && line.size() > len
        && line[len] == ':') {
      std::istringstream fields{line.substr(len + 1)};
      int64_t kb = -1;
      fields >> kb;
      return kb;
    }
  }
  return -1;
}

} // namespace bench
