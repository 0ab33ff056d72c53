#pragma once

// The command line of cursorctl. No CAF here: cursorctl parses its own
// arguments (options may follow the command, `--` ends the options) and
// never reads a CAF config file.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/defaults.hpp"
#include "common/tls.hpp"

namespace cursor::cli {

struct cli_args {
  std::string host = "127.0.0.1";
  uint16_t port = app::default_port;
  /// Bounds the connection (TCP + CAF handshake) and, separately, every
  /// request.
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
  /// One of get, set, delete, list, flush, checkpoint, stats.
  std::string command;
  std::vector<std::string> operands;
  /// `--tls-cert`, `--tls-key`, `--tls-ca`: mutual TLS when all three are
  /// set. The passphrase is read from `tls_passphrase_file` by main.
  app::tls_files tls;
  /// `--tls-passphrase-file`: first line = the key's passphrase.
  std::string tls_passphrase_file;
  bool force = false;
  bool json = false;
  bool prometheus = false;
  bool help = false;
};

/// Parses argv. Returns an empty string on success (check `help` first),
/// otherwise one line describing the usage error.
std::string parse_args(int argc, char** argv, cli_args& out);

/// Parses a timeout such as `5s`, `500ms`, `1m` or `3` (seconds): 1 ms to 1 h.
/// Returns false for anything else.
bool parse_timeout(const std::string& text, std::chrono::milliseconds& out);

/// Renders a timeout the way parse_timeout reads it ("5s", "250ms").
std::string format_timeout(std::chrono::milliseconds x);

/// The usage text printed by --help.
const char* usage();

} // namespace cursor::cli
