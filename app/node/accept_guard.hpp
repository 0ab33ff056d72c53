#pragma once

// Keeps the node serving when it runs out of file descriptors.
//
// CAF 0.17.6's acceptor (caf/io/network/acceptor.hpp, policy::tcp::
// try_accept) ignores every accept(2) failure other than EAGAIN: on EMFILE
// the pending connection stays in the backlog, the listening socket stays
// readable, and the level-triggered epoll loop of the multiplexer calls
// accept again at once, forever: 100 % CPU, and no connection is served
// until a descriptor frees up. Idle clients that never finish the BASP
// handshake are never closed by CAF, so a local user can trigger this.
//
// The node therefore provides its own accept(2), which CAF's shared library
// calls instead of the C library's (the executable comes first in symbol
// lookup). It calls accept4(2) and, once installed:
// - refuses (closes at once) a connection whose descriptor would leave fewer
//   than `headroom` descriptors below the limit, keeping those for the
//   database, the metrics file and the log: a connection cap derived from
//   the descriptor limit;
// - on EMFILE/ENFILE, closes a reserve descriptor, accepts the pending
//   connection and closes it, and reopens the reserve (the classic
//   reserve-descriptor technique), so the backlog drains instead of
//   spinning;
// and reports both to CAF as EAGAIN. The refused client sees its connection
// closed during the handshake. Existing connections are served throughout.

#include <cstdint>
#include <memory>

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::node {

/// Installs the guard for a soft descriptor limit of `limit`. Call it once,
/// before the middleman starts; `log` receives a warning for the first
/// refused connection and then at most one every ten seconds.
void install_accept_guard(uint64_t limit, int headroom,
                          std::shared_ptr<spdlog::logger> log);

/// The number of connections refused by the guard so far.
uint64_t refused_connections();

} // namespace cursor::node
