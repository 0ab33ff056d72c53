#pragma once

// Connecting to a cursor node with a deadline. CAF's remote_actor() (and
// caf::openssl::remote_actor()) has no handshake timeout and blocks forever
// against a peer that accepts and stays silent; this asks the middleman actor
// (with TLS: the openssl manager's middleman actor, which answers the same
// `connect` message) asynchronously instead.

#include <chrono>
#include <optional>
#include <string>

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "common/tls.hpp"
#include "cursor_actor/actors.hpp"

namespace cursor::cli {

/// How long a refused connection is retried (bounded by the timeout).
constexpr caf::timespan refused_grace = std::chrono::milliseconds(500);

/// Connects to the actor published at `host:port` and checks that it speaks
/// the cursor protocol (`cursor::cursor_actor`). Waits at most `timeout` for
/// the TCP connection, the TLS handshake (when the system was configured
/// with TLS) and the BASP handshake together; a refused connection
/// is retried with backoff for up to `refused_grace` (a node republishing
/// its front refuses connections for a moment). On failure returns
/// nothing and sets `error` to one readable line. The system must have the
/// middleman loaded, the protocol's types registered and the node's
/// application identifier set (see make_client_config()).
std::optional<cursor_actor>
connect_to_node(caf::actor_system& sys, const std::string& host, uint16_t port,
                caf::timespan timeout, std::string& error);

/// Prepares `cfg` for talking to a node: loads the middleman, registers the
/// protocol's types, sets `middleman.app-identifiers` to `app_id` (the
/// node's, unless a test wants to play a foreign application) and keeps the
/// scheduler small. With `tls` enabled (the `caf_files` of a successful
/// app::check_tls_files()) it also loads the openssl manager: every
/// connection of the system is then mutual TLS. Reads no config file.
void make_client_config(caf::actor_system_config& cfg, const char* app_id,
                        const app::tls_files& tls = {});

} // namespace cursor::cli
