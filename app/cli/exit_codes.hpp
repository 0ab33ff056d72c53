#pragma once

// Exit codes of cursorctl (documented in docs/CLI.md) and the mapping from
// errors to them. They say what became of one request, so they are the
// client's own: the hosted programs' codes (common/exit_codes.hpp) say how a
// process ended, and share only 0 with these.

#include <caf/fwd.hpp>

namespace cursor::cli {

/// The command succeeded (`health`: the store is healthy).
constexpr int exit_ok = 0;
/// Usage error (unknown command or option, missing or extra argument, bad
/// port or duration), a TLS file that is missing, unreadable or invalid (or
/// an incomplete set of them), an output file that cannot be written, or
/// input the store refused (invalid peer ID or stream ID, regression
/// without --force).
constexpr int exit_refused = 1;
/// The node is unreachable, did not answer within the timeout, is not a
/// cursor node, or went away during the request; or the node's front got no
/// answer from its store within `node.request-timeout` (`timeout`) or its
/// store is gone (`unavailable`). A request answered this way may or may not
/// have taken effect.
constexpr int exit_unreachable = 2;
/// The output could not be written: a failed write, flush or close of
/// stdout (a full disk, `/dev/full`, a reader that stopped early, a closed
/// stdout) or of export's file. Shares 1 with exit_refused: a local
/// problem, whatever the node did.
constexpr int exit_output = 1;
/// The store could not do it: busy after every retry, storage error, read
/// only, writer down, checkpoint incomplete, store closed or stopping.
constexpr int exit_storage = 3;
/// `health`: the store is degraded (its last write failed after every
/// retry). Shares 3 with exit_storage: a storage problem either way.
constexpr int exit_degraded = 3;
/// `health`: the store is closed (writes refused) or has stopped.
constexpr int exit_closed = 4;

/// The exit code for an error answered to a request: errors of the store's
/// `cursor` category are 1 (refused input), 2 (`timeout`, `unavailable`) or
/// 3 (storage); everything else (timeouts, lost connection, protocol
/// mismatch) is 2.
int exit_code_for(const caf::error& err);

} // namespace cursor::cli
