// cursor_node: hosts the cursor store and publishes it to remote CAF peers
// through a front actor. See docs/NODE.md; the process frame is the host's
// (common/host.hpp).

#include "common/host.hpp"
#include "node/node_program.hpp"

int main(int argc, char** argv) {
  cursor::node::node_program prog;
  return cursor::app::run_host(prog, argc, argv);
}
