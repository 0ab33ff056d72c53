// cursor_tailer: replicates the Redis streams of one or more peers into a
// target Redis, resuming each peer from its cursor. See docs/TAILER.md; the
// process frame is the host's (common/host.hpp).

#include "common/host.hpp"
#include "tailer/tailer_program.hpp"

int main(int argc, char** argv) {
  cursor::tailer::tailer_program prog;
  return cursor::app::run_host(prog, argc, argv);
}
