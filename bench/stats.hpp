#pragma once

// Figures of the benchmarks: summaries of repeated runs, the result table
// (every figure with its baseline and ratio), and process memory readings.
// No CAF and no SQLite here.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace bench {

/// Median, minimum and maximum of repeated runs.
struct summary {
  double median = 0;
  double min = 0;
  double max = 0;
  size_t runs = 0;
};

/// Summarises `xs` (copied: the caller's order is kept).
summary summarize(std::vector<double> xs);

/// The nearest-rank percentile `p` (0..100) of `xs`; sorts `xs`.
double percentile(std::vector<double>& xs, double p);

/// How a ratio is judged against its target.
enum class goal {
  none,     // informative only
  at_least, // ratio >= target
  at_most,  // ratio <= target
};

/// One line of the result table.
struct figure {
  std::string section;
  std::string name;
  std::string unit;
  summary value;
  std::string baseline_name; // empty: no baseline
  summary baseline;
  std::string ratio_name; // how the ratio is formed, e.g. "ref/store"
  double ratio = 0;
  goal target_goal = goal::none;
  double target = 0;
  /// Judge the value's median against the target instead of the ratio.
  bool target_on_value = false;
  std::string note;

  /// "met", "NOT met" or "" when no target applies.
  std::string verdict() const;
};

/// Collects the figures of one run of the benchmark program.
class report {
public:
  /// Adds `f` and prints it at once on stdout (progress).
  void add(figure f);

  /// Prints every figure as a Markdown table.
  void print_markdown(std::FILE* out) const;

  /// Whether any figure was recorded.
  bool empty() const { return figures_.empty(); }

private:
  std::vector<figure> figures_;
};

/// Formats `x` with three significant digits (plain notation).
std::string fmt3(double x);

/// Resident set size of this process, bytes (/proc/self/statm).
int64_t rss_bytes();

/// A line of /proc/self/status in kB, e.g. "VmHWM"; -1 if absent.
int64_t status_kb(const char* key);

} // namespace bench
