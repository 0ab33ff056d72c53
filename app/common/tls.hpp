#pragma once

// Mutual TLS for the node and its clients: the files, the checks CAF does not
// do, and switching a CAF config to caf::openssl.
//
// CAF 0.17.6's openssl module builds a fresh OpenSSL context for every
// connection, reading the files each time, and aborts the whole process
// (an exception on the multiplexer thread) when one of them cannot be
// loaded. An encrypted key without a passphrase is worse: OpenSSL's default
// password callback prompts on the terminal, on the multiplexer thread.
// Hence check_tls_files() at start-up, before any connection, which also
// hands CAF private in-memory copies of the checked files, so that deleting
// or replacing a file while the process runs cannot abort it.

#include <string>

#include <caf/fwd.hpp>
#include <caf/io/middleman_actor.hpp>

namespace cursor::app {

/// The files of one side of a mutual-TLS connection, as paths. TLS is on when
/// certificate, key and CA file are all set; a partial set is an error.
struct tls_files {
  /// PEM certificate (chain) presented to the peer; the first certificate
  /// is ours, any further ones are intermediates.
  std::string certificate;
  /// PEM private key of the certificate, encrypted or not.
  std::string key;
  /// PEM file of the CA certificate(s) a peer's certificate must chain to.
  std::string ca_file;
  /// Decrypts `key`; empty for an unencrypted key.
  std::string passphrase;

  /// True when any of the four is set.
  bool any() const {
    return !certificate.empty() || !key.empty() || !ca_file.empty()
           || !passphrase.empty();
  }

  /// True when TLS is on (certificate, key and CA file set).
  bool enabled() const {
    return !certificate.empty() && !key.empty() && !ca_file.empty();
  }
};

/// How the options are spelled where the files came from, for error lines
/// (`tls.certificate` in the node's config, `--tls-cert` for cursorctl).
struct tls_option_names {
  const char* certificate = "certificate";
  const char* key = "key";
  const char* ca_file = "ca-file";
  const char* passphrase = "passphrase";
};

/// Which end of the connection the certificate is for: the node accepts
/// (TLS server), cursorctl connects (TLS client).
enum class tls_role { server, client };

/// The outcome of check_tls_files().
struct tls_check {
  /// Empty when the files are usable; otherwise one readable line naming
  /// the option and the file, e.g. "tls.key '/etc/c/key.pem' does not match
  /// tls.certificate '/etc/c/cert.pem'".
  std::string error;
  /// Set when the files are usable but our certificate does not verify
  /// against our own CA file for `role` (expired, not yet valid, signed by
  /// another CA, wrong purpose): peers sharing that CA will refuse us.
  /// One readable line; a warning, not an error (CAF lets a CA file trust
  /// other CAs than the one that signed our certificate).
  std::string warning;
  /// One line describing the certificate when usable: subject, issuer,
  /// expiry ("subject CN=node, issuer CN=Cursor CA, valid until
  /// 2027-01-01 00:00:00 UTC").
  std::string summary;
  /// When usable: the files to hand to enable_tls(). Their paths name
  /// private, unlinked in-memory copies of the checked contents
  /// (`/proc/self/fd/N` of a memfd, open for the life of the process), so
  /// CAF reads exactly what was checked, at every connection; the
  /// passphrase is the given one. Should the copies be impossible (no
  /// memfd, no /proc), the original paths, and `warning` says so.
  tls_files caf_files;
};

/// Checks the files the way CAF will use them, with OpenSSL's API, without
/// ever prompting: with nothing set, nothing to check (TLS off). Otherwise
/// refuses a partial set (a passphrase alone included); a file that is
/// missing, not a regular file, unreadable or larger than 1 MiB; a
/// certificate file without a PEM certificate; a key that is not a PEM
/// private key, is encrypted while no passphrase is set, or does not decrypt
/// with the passphrase; a key that does not match the certificate; a CA
/// file without a PEM certificate; and anything OpenSSL refuses when the
/// context is built exactly as CAF 0.17.6 builds it (e.g. a key too weak for
/// OpenSSL's security level). Thread-safe; reads only the named files; a
/// success leaves three file descriptors open for good (the copies).
tls_check check_tls_files(const tls_files& files, const tls_option_names& names,
                          tls_role role);

/// Switches `cfg` to mutual TLS with `files` (the `caf_files` of a
/// successful check_tls_files()): loads `caf::openssl::manager` (after the
/// middleman, which must be loaded already) and sets CAF's `openssl.*`
/// values. Call before the actor system is created. Then connect and
/// publish through middleman_handle().
void enable_tls(caf::actor_system_config& cfg, const tls_files& files);

/// The middleman actor to connect and publish through: the openssl
/// manager's when enable_tls() switched the system to TLS, the plain
/// middleman's otherwise. Both answer the same messages (`connect_atom`,
/// `publish_atom`, ...) and share one BASP broker.
caf::io::middleman_actor middleman_handle(caf::actor_system& sys);

/// Reads a passphrase from the first line of the file at `path` (without
/// its line break), so that it need not appear on a command line. Returns
/// an empty string on success, otherwise the end of an error line ("does not
/// exist", "cannot be read: Permission denied").
std::string read_passphrase_file(const std::string& path, std::string& out);

/// True when `cfg` has any of CAF's own `openssl.*` options set (from a
/// config file or the command line): the node and cursorctl take the files
/// through their own options only, so those would be silently ignored.
bool caf_openssl_options_set(const caf::actor_system_config& cfg);

} // namespace cursor::app
