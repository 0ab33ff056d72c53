#pragma once

// A `cursor_bench serve` child process publishing a store and a bare actor
// on 127.0.0.1, and connecting to them.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <caf/io/all.hpp>

#include "common.hpp"
#include "process.hpp"

namespace bench {

struct server {
  std::unique_ptr<bench::child_process> proc;
  uint16_t store_port = 0;
  uint16_t bare_port = 0;

  server(const std::string& policy, const std::string& db);

  // The server's VmHWM and VmRSS in kB.
  std::pair<int64_t, int64_t> memory();

  // CPU time (user + system) the server used so far, milliseconds.
  double cpu_ms();

  void stop();
};

template <class Handle>
Handle connect(caf::actor_system& sys, uint16_t port) {
  auto h = sys.middleman().remote_actor<Handle>("127.0.0.1", port);
  if (!h)
    die("cannot connect to port " + std::to_string(port) + ": "
        + caf::to_string(h.error()));
  return *h;
}

} // namespace bench
