#include "process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace bench {

child_process::child_process(const std::vector<std::string>& args) {
  int in[2];
  int out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<std::string> argv_storage;
  argv_storage.push_back("/proc/self/exe");
  for (auto& arg : args)
    argv_storage.push_back(arg);
  std::vector<char*> argv;
  for (auto& arg : argv_storage)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  auto rc = posix_spawn(&pid_, "/proc/self/exe", &actions, nullptr, argv.data(),
                        environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  if (rc != 0) {
    close(to_child_);
    close(from_child_);
    throw std::runtime_error(std::string{"posix_spawn failed: "}
                             + std::strerror(rc));
  }
  signal(SIGPIPE, SIG_IGN);
}

child_process::~child_process() {
  finish(30000);
}

bool child_process::read_line(std::string& line, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now()
                  + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return true;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0 || from_child_ < 0)
      return false;
    pollfd p{from_child_, POLLIN, 0};
    auto n = poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    char buf[4096];
    auto got = read(from_child_, buf, sizeof(buf));
    if (got <= 0)
      return false;
    buffer_.append(buf, static_cast<size_t>(got));
  }
}

void child_process::write_line(const std::string& line) {
  auto text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    auto n = write(to_child_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw std::runtime_error("writing to a helper process failed");
    done += static_cast<size_t>(n);
  }
}

int child_process::finish(int timeout_ms) {
  if (pid_ < 0)
    return 0;
  if (to_child_ >= 0) {
    close(to_child_);
    to_child_ = -1;
  }
  auto deadline = std::chrono::steady_clock::now()
                  + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  for (;;) {
    auto r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_)
      break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      status = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (from_child_ >= 0) {
    close(from_child_);
    from_child_ = -1;
  }
  if (status == -1)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace bench
