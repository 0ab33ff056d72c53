#pragma once

// Peer IDs name the nodes of the mesh, e.g. `uk.node.manchester-1`.

#include <cstddef>
#include <string_view>

#include <caf/error.hpp>

namespace cursor {

/// The longest accepted peer ID, in bytes.
constexpr size_t max_peer_id_size = 255;

/// Checks a peer ID: non-empty, at most 255 bytes, valid UTF-8, and free of
/// control characters (C0, DEL, C1; NUL included). Returns an empty error on
/// success, `errc::invalid_peer_id` with the reason otherwise.
caf::error validate_peer_id(std::string_view peer);

} // namespace cursor
