#pragma once

// The tailer's endpoints are the host's (common/endpoint.hpp): "host:port",
// with IPv6 addresses in brackets.

#include "common/endpoint.hpp"

namespace cursor::tailer {

using app::endpoint;
using app::parse_endpoint;

} // namespace cursor::tailer
