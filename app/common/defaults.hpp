#pragma once

// Values the node and its clients must agree on.

#include <cstdint>

namespace cursor::app {

/// The port the node listens on unless `node.port` says otherwise, and the
/// port `cursorctl` connects to unless `--port` says otherwise.
constexpr uint16_t default_port = 4242;

/// The CAF application identifier of the node and its clients. Set as
/// `middleman.app-identifiers` on both sides, so that the BASP handshake with
/// any other CAF application fails. Bump the version suffix when the protocol
/// changes incompatibly.
constexpr const char* app_identifier = "cursor-node-v1";

} // namespace cursor::app
