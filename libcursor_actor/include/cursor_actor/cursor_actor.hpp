#pragma once

// The one header a host application includes: the typed interface, its
// types, the options and the factory. Link the CMake target
// `cursor_actor::cursor_actor`.

#include "cursor_actor/actors.hpp"
#include "cursor_actor/allocator.hpp"
#include "cursor_actor/backup_name.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/options.hpp"
#include "cursor_actor/peer_id.hpp"
#include "cursor_actor/register_types.hpp"
#include "cursor_actor/spawn.hpp"
#include "cursor_actor/stats.hpp"
#include "cursor_actor/stream_id.hpp"
#include "cursor_actor/version.hpp"
