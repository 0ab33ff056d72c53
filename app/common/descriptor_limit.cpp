#include "common/descriptor_limit.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <sys/resource.h>

namespace cursor::app {

std::string raise_descriptor_limit() {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return std::string{"cannot read the descriptor limit: "}
           + std::strerror(errno);
  auto target = lim.rlim_max;
  // The hard limit may be "unlimited", which setrlimit refuses for
  // RLIMIT_NOFILE above fs.nr_open.
  if (std::ifstream in{"/proc/sys/fs/nr_open"}; in) {
    unsigned long long nr_open = 0;
    if (in >> nr_open && nr_open > 0 && target > nr_open)
      target = static_cast<rlim_t>(nr_open);
  }
  if (lim.rlim_cur >= target)
    return {};
  auto old = lim.rlim_cur;
  lim.rlim_cur = target;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0)
    return "cannot raise the soft descriptor limit from " + std::to_string(old)
           + " to " + std::to_string(target) + ": " + std::strerror(errno);
  return "raised the soft descriptor limit from " + std::to_string(old)
         + " to the hard limit " + std::to_string(target);
}

uint64_t descriptor_limit() {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return 0;
  return static_cast<uint64_t>(lim.rlim_cur);
}

} // namespace cursor::app
