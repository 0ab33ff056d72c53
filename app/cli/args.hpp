#pragma once

// The command line of cursorctl, parsed with CLI11 (libcli11-dev). No CAF
// here: cursorctl never reads a CAF config file.
//
// The connection options (--host, --port, --timeout, --tls-*) belong to
// cursorctl itself; each command has its own operands and options. Every
// option may come before or after the command, `--` ends the options (for
// a peer ID starting with `-`). A new command is one entry in args.cpp
// (operands, options, synopsis) and one handler in commands.cpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/defaults.hpp"
#include "common/tls.hpp"

namespace cursor::cli {

/// What `export` writes.
enum class export_format {
  /// One JSON object per line (the default).
  json_lines,
  /// RFC 4180 CSV with a header line.
  csv,
};

/// Entries per batched set of import and rewind: large enough that the
/// per-message cost does not matter, small enough that one message stays
/// well below a megabyte and a chunk is answered quickly.
constexpr size_t default_chunk_size = 1000;
constexpr size_t max_chunk_size = 100000;
/// `--page-size` (list, export): cursors per paged `list` request.
constexpr uint32_t default_page_size = 10000;
constexpr uint32_t max_page_size = 100000;

struct cli_args {
  std::string host = "127.0.0.1";
  uint16_t port = app::default_port;
  /// Bounds the connection (TCP + CAF handshake) and, separately, every
  /// request.
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
  /// One of get, set, delete, list, flush, checkpoint, stats, health,
  /// export, import, rewind, backup.
  std::string command;
  /// Operands: the peer (get, set, delete) and the stream ID (set).
  std::string peer;
  std::string stream_id;
  /// `--tls-cert`, `--tls-key`, `--tls-ca`: mutual TLS when all three are
  /// set. The passphrase is read from `tls_passphrase_file` by main.
  app::tls_files tls;
  /// `--tls-passphrase-file`: first line = the key's passphrase.
  std::string tls_passphrase_file;
  /// `import FILE`: the file to read, `-` = stdin.
  std::string input;
  /// `backup NAME`: the file name in the node's backup directory.
  std::string backup_name;
  /// `--force` (set, import): allow moving a cursor backwards.
  bool force = false;
  /// `--json` (get, list, stats, health) and `--prometheus` (stats).
  bool json = false;
  bool prometheus = false;
  /// `--older-than DURATION` (list, export): only cursors not updated for
  /// at least that long.
  std::optional<std::chrono::milliseconds> older_than;
  /// `--dry-run` (import, rewind): print what would change, change nothing.
  bool dry_run = false;
  /// `--no-flush` (import, rewind): leave the changes to the node's next
  /// flush instead of committing them before exiting.
  bool no_flush = false;
  /// `--chunk-size N` (import, rewind): entries per batched set.
  size_t chunk_size = default_chunk_size;
  /// `--page-size N` (list, export): cursors per page asked of the node.
  uint32_t page_size = default_page_size;
  /// `--to ID` (rewind): the stream ID every chosen peer is moved to.
  std::string rewind_to;
  /// `--peers-file FILE` or `--prefix P` (rewind, exactly one): the peers.
  std::string peers_file;
  std::string prefix;
  /// `--format` (export, import); `--output FILE` (export, empty or `-` =
  /// stdout);
  /// `--overwrite` (export): replace an existing output file.
  export_format format = export_format::json_lines;
  std::string output;
  bool overwrite = false;
};

/// What parse_args() decided.
struct parse_outcome {
  /// Set on a usage error: one line (without the `cursorctl: ` prefix);
  /// exit 1.
  std::string error;
  /// Set when help or the version was asked for: print it on stdout and
  /// exit 0 without connecting.
  std::string text;
};

/// Parses argv into `out`. Checks everything that needs no node: the
/// command, the number of operands, which options apply to it, the port,
/// the durations, non-empty values.
parse_outcome parse_args(int argc, char** argv, cli_args& out);

} // namespace cursor::cli
