#pragma once

// The node's own options (`node.*` beyond the host's): where it publishes the
// front and where backups go. The host reads the rest (common/host_config.hpp).

#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

#include "common/defaults.hpp"

namespace cursor::node {

/// The node's own options, validated.
struct node_options {
  /// `node.bind-address`: the address the front actor is published on.
  std::string bind_address = "127.0.0.1";
  /// `node.port`: 0 picks a free port (the log line names the real one).
  uint16_t port = app::default_port;
  /// `node.backup-dir`: where `cursorctl backup NAME` writes; empty =
  /// backups disabled. read_node_options() makes it absolute (realpath) and
  /// checks that it is a writable directory.
  std::string backup_dir;
};

/// Declares `node.bind-address`, `node.port` and `node.backup-dir` in the
/// node's group.
void declare_node_options(caf::config_option_adder& group);

/// Reads and validates them from `cfg` into `out`. Returns an empty string
/// or one line ("invalid configuration: node.backup-dir: ...").
std::string read_node_options(const caf::actor_system_config& cfg,
                              node_options& out);

} // namespace cursor::node
