#pragma once

// Helper processes of the benchmark (the lock holder, the remote server, the
// memory probe): this executable started again with other arguments, talking
// line by line over its stdin and stdout. No CAF here.

#include <string>
#include <vector>

#include <sys/types.h>

namespace bench {

class child_process {
public:
  /// Starts /proc/self/exe with `args` (argv[1..]); stderr is inherited.
  explicit child_process(const std::vector<std::string>& args);
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  /// Closes stdin and waits (killing the child after 30 s).
  ~child_process();

  /// Reads one line from the child's stdout; false on EOF or timeout.
  bool read_line(std::string& line, int timeout_ms);

  /// Writes one line to the child's stdin.
  void write_line(const std::string& line);

  /// Closes the child's stdin and waits for it to exit; kills it after
  /// `timeout_ms`. Returns the exit status (or -1 when killed).
  int finish(int timeout_ms);

  pid_t pid() const { return pid_; }

private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffer_;
};

} // namespace bench
