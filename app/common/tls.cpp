#include "common/tls.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

namespace cursor::app {

namespace {

// A PEM file of a few certificates is a few KiB; anything this large is a
// wrong path (a log, a database), not worth reading into memory.
constexpr off_t max_pem_size = 1024 * 1024;

// The context CAF 0.17.6 builds per connection (session.cpp) uses this list.
constexpr const char* caf_cipher_list = "HIGH:!aNULL:!MD5";

struct bio_deleter {
  void operator()(BIO* x) const { BIO_free(x); }
};
struct x509_deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct pkey_deleter {
  void operator()(EVP_PKEY* x) const { EVP_PKEY_free(x); }
};
struct store_deleter {
  void operator()(X509_STORE* x) const { X509_STORE_free(x); }
};
struct store_ctx_deleter {
  void operator()(X509_STORE_CTX* x) const { X509_STORE_CTX_free(x); }
};
struct info_stack_deleter {
  void operator()(STACK_OF(X509_INFO) * x) const {
    sk_X509_INFO_pop_free(x, X509_INFO_free);
  }
};
struct x509_stack_deleter {
  void operator()(STACK_OF(X509) * x) const { sk_X509_pop_free(x, X509_free); }
};
struct ssl_ctx_deleter {
  void operator()(SSL_CTX* x) const { SSL_CTX_free(x); }
};

using bio_ptr = std::unique_ptr<BIO, bio_deleter>;
using x509_ptr = std::unique_ptr<X509, x509_deleter>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
using store_ptr = std::unique_ptr<X509_STORE, store_deleter>;
using store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, store_ctx_deleter>;
using info_stack_ptr = std::unique_ptr<STACK_OF(X509_INFO), info_stack_deleter>;
using x509_stack_ptr = std::unique_ptr<STACK_OF(X509), x509_stack_deleter>;
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_deleter>;

// Pops OpenSSL's error queue of this thread; returns the first reason
// ("ee key too small"), or `fallback` when the queue was empty.
std::string openssl_reason(const char* fallback) {
  std::string result;
  while (auto code = ERR_get_error()) {
    if (!result.empty())
      continue;
    if (auto reason = ERR_reason_error_string(code))
      result = reason;
    else
      result = "OpenSSL error " + std::to_string(code);
  }
  return result.empty() ? std::string{fallback} : result;
}

// Reads a whole PEM file. Returns an empty string on success, otherwise
// the end of an error line ("does not exist", "cannot be read: ...").
// Opened non-blocking and checked to be a regular file, so that a FIFO or
// a device given by mistake cannot block the start.
std::string read_small_file(const std::string& path, std::string& content) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return "does not exist";
    return std::string{"cannot be read: "} + std::strerror(errno);
  }
  if (!S_ISREG(st.st_mode))
    return "is not a regular file";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return std::string{"cannot be read: "} + std::strerror(errno);
  std::string error;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "is not a regular file";
  } else if (st.st_size > max_pem_size) {
    error = "is larger than 1 MiB: not a PEM file";
  } else {
    content.clear();
    char buf[4096];
    for (;;) {
      auto n = ::read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        error = std::string{"cannot be read: "} + std::strerror(errno);
        break;
      }
      if (n == 0)
        break;
      content.append(buf, static_cast<size_t>(n));
      if (content.size() > static_cast<size_t>(max_pem_size)) {
        error = "is larger than 1 MiB: not a PEM file";
        break;
      }
    }
  }
  ::close(fd);
  return error;
}

bio_ptr memory_bio(const std::string& content) {
  return bio_ptr{
      BIO_new_mem_buf(content.data(), static_cast<int>(content.size()))};
}

// The password callback of our own loads: hands out the passphrase, never
// prompts, and records that the key asked for one.
struct passphrase_request {
  const std::string* passphrase = nullptr;
  bool asked = false;
};

int passphrase_cb(char* buf, int size, int, void* user) {
  auto req = static_cast<passphrase_request*>(user);
  req->asked = true;
  if (req->passphrase == nullptr || req->passphrase->empty() || size <= 0)
    return -1;
  auto len = std::min(req->passphrase->size(), static_cast<size_t>(size));
  std::memcpy(buf, req->passphrase->data(), len);
  return static_cast<int>(len);
}

// Copies `content` into an unlinked in-memory file (memfd) that stays open
// for the life of the process and returns a path opening it afresh:
// "/proc/self/fd/N". Returns an empty path when that is not possible (no
// memfd_create, no /proc); `why` then says why.
std::string private_copy(const char* name, const std::string& content,
                         std::string& why) {
  int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) {
    why = std::string{"memfd_create: "} + std::strerror(errno);
    return {};
  }
  size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      why = std::string{"writing the copy: "} + std::strerror(errno);
      ::close(fd);
      return {};
    }
    done += static_cast<size_t>(n);
  }
  auto path = "/proc/self/fd/" + std::to_string(fd);
  // Opening the path must give the copy (it does not without /proc).
  std::string reread;
  if (auto err = read_small_file(path, reread);
      !err.empty() || reread != content) {
    why = path + " " + (err.empty() ? "differs from the copy" : err);
    ::close(fd);
    return {};
  }
  return path;
}

std::string quoted(const std::string& path) {
  return "'" + path + "'";
}

std::string name_line(X509_NAME* name) {
  bio_ptr out{BIO_new(BIO_s_mem())};
  if (!out || X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253) < 0)
    return "?";
  char* data = nullptr;
  auto len = BIO_get_mem_data(out.get(), &data);
  return len > 0 ? std::string{data, static_cast<size_t>(len)}
                 : std::string{"(empty)"};
}

std::string time_line(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1)
    return "?";
  char buf[64];
  if (std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
    return "?";
  return buf;
}

} // namespace

tls_check check_tls_files(const tls_files& files, const tls_option_names& names,
                          tls_role role) {
  tls_check result;
  if (!files.any())
    return result;
  ERR_clear_error();
  // All of certificate, key and CA file, or none.
  std::string missing;
  auto need = [&](const std::string& value, const char* name) {
    if (!value.empty())
      return;
    missing += missing.empty() ? "" : ", ";
    missing += name;
  };
  need(files.certificate, names.certificate);
  need(files.key, names.key);
  need(files.ca_file, names.ca_file);
  if (!missing.empty()) {
    result.error = std::string{"TLS needs "} + names.certificate + ", "
                   + names.key + " and " + names.ca_file
                   + " together; not set: " + missing;
    return result;
  }
  auto refuse
      = [&](const char* name, const std::string& path, const std::string& why) {
          result.error = std::string{name} + " " + quoted(path) + " " + why;
          return result;
        };
  // The certificate: its first PEM certificate is ours, the rest the chain.
  std::string cert_pem;
  if (auto err = read_small_file(files.certificate, cert_pem); !err.empty())
    return refuse(names.certificate, files.certificate, err);
  auto bio = memory_bio(cert_pem);
  x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
  if (!cert) {
    ERR_clear_error();
    return refuse(names.certificate, files.certificate,
                  "holds no PEM certificate");
  }
  x509_stack_ptr chain{sk_X509_new_null()};
  while (auto next = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    sk_X509_push(chain.get(), next);
  ERR_clear_error(); // The loop ends with a "no start line" error.
  // The key, decrypted without ever prompting.
  std::string key_pem;
  if (auto err = read_small_file(files.key, key_pem); !err.empty())
    return refuse(names.key, files.key, err);
  bio = memory_bio(key_pem);
  passphrase_request req;
  req.passphrase = &files.passphrase;
  pkey_ptr key{
      PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_cb, &req)};
  if (!key) {
    ERR_clear_error();
    if (req.asked && files.passphrase.empty())
      return refuse(names.key, files.key,
                    std::string{"is encrypted: set "} + names.passphrase);
    if (req.asked)
      return refuse(names.key, files.key,
                    std::string{"cannot be decrypted with "} + names.passphrase
                        + " (wrong passphrase?)");
    return refuse(names.key, files.key, "holds no PEM private key");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return refuse(names.key, files.key,
                  std::string{"does not match "} + names.certificate + " "
                      + quoted(files.certificate));
  }
  // The CA file: at least one certificate.
  std::string ca_pem;
  if (auto err = read_small_file(files.ca_file, ca_pem); !err.empty())
    return refuse(names.ca_file, files.ca_file, err);
  bio = memory_bio(ca_pem);
  // A key in the CA file would make a null callback prompt: never prompt.
  passphrase_request no_passphrase;
  info_stack_ptr infos{PEM_X509_INFO_read_bio(bio.get(), nullptr, passphrase_cb,
                                              &no_passphrase)};
  store_ptr store{X509_STORE_new()};
  int cas = 0;
  if (infos)
    for (int i = 0; i < sk_X509_INFO_num(infos.get()); ++i)
      if (auto x = sk_X509_INFO_value(infos.get(), i)->x509) {
        X509_STORE_add_cert(store.get(), x);
        ++cas;
      }
  ERR_clear_error();
  if (cas == 0)
    return refuse(names.ca_file, files.ca_file, "holds no PEM certificate");
  // CAF reads the files again at every connection: give it private copies
  // of what was checked, which nobody can delete or replace.
  std::string why;
  auto& caf = result.caf_files;
  caf.passphrase = files.passphrase;
  caf.certificate = private_copy("cursor-tls-certificate", cert_pem, why);
  if (!caf.certificate.empty())
    caf.key = private_copy("cursor-tls-key", key_pem, why);
  if (!caf.key.empty())
    caf.ca_file = private_copy("cursor-tls-ca", ca_pem, why);
  if (caf.ca_file.empty()) {
    // The fds of a partial copy stay open: a few bytes, once.
    caf.certificate = files.certificate;
    caf.key = files.key;
    caf.ca_file = files.ca_file;
    result.warning = "cannot keep private copies of the TLS files (" + why
                     + "): CAF reads them again at every connection and "
                       "aborts the process if one is missing or broken";
  }
  // Exactly the calls CAF makes for every connection (session.cpp), on the
  // files CAF will read, so that none of them can fail later and abort the
  // process.
  ssl_ctx_ptr ctx{SSL_CTX_new(TLS_method())};
  if (!ctx) {
    result.error = "cannot create an OpenSSL context: "
                   + openssl_reason("unknown error");
    return result;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), caf.certificate.c_str())
      != 1)
    return refuse(names.certificate, files.certificate,
                  "is refused by OpenSSL: " + openssl_reason("unknown error"));
  SSL_CTX_set_default_passwd_cb(ctx.get(), passphrase_cb);
  passphrase_request ctx_req;
  ctx_req.passphrase = &files.passphrase;
  SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), &ctx_req);
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), caf.key.c_str(), SSL_FILETYPE_PEM)
      != 1)
    return refuse(names.key, files.key,
                  "is refused by OpenSSL: " + openssl_reason("unknown error"));
  if (SSL_CTX_load_verify_locations(ctx.get(), caf.ca_file.c_str(), nullptr)
      != 1)
    return refuse(names.ca_file, files.ca_file,
                  "is refused by OpenSSL: " + openssl_reason("unknown error"));
  if (SSL_CTX_set_cipher_list(ctx.get(), caf_cipher_list) != 1) {
    result.error = "OpenSSL refuses CAF's cipher list: "
                   + openssl_reason("unknown error");
    return result;
  }
  // Usable. Would a peer using the same CA file accept our certificate?
  store_ctx_ptr vctx{X509_STORE_CTX_new()};
  if (vctx
      && X509_STORE_CTX_init(vctx.get(), store.get(), cert.get(), chain.get())
             == 1) {
    X509_STORE_CTX_set_purpose(vctx.get(), role == tls_role::server
                                               ? X509_PURPOSE_SSL_SERVER
                                               : X509_PURPOSE_SSL_CLIENT);
    if (X509_verify_cert(vctx.get()) != 1)
      result.warning += (result.warning.empty() ? "" : "; ")
                        + std::string{names.certificate} + " "
                        + quoted(files.certificate)
                        + " does not verify against " + names.ca_file + " "
                        + quoted(files.ca_file) + ": "
                        + X509_verify_cert_error_string(
                            X509_STORE_CTX_get_error(vctx.get()))
                        + "; peers using that CA file will refuse it";
  }
  ERR_clear_error();
  result.summary = "subject " + name_line(X509_get_subject_name(cert.get()))
                   + ", issuer " + name_line(X509_get_issuer_name(cert.get()))
                   + ", valid until "
                   + time_line(X509_get0_notAfter(cert.get()));
  return result;
}

std::string read_passphrase_file(const std::string& path, std::string& out) {
  std::string content;
  if (auto err = read_small_file(path, content); !err.empty())
    return err;
  auto end = content.find_first_of("\r\n");
  out = content.substr(0, end);
  if (out.empty())
    return "holds no passphrase (its first line is empty)";
  return {};
}

void enable_tls(caf::actor_system_config& cfg, const tls_files& files) {
  cfg.load<caf::openssl::manager>();
  // Normally /proc/self/fd paths already; should they be the originals,
  // absolute paths keep them independent of the working directory.
  auto absolute = [](const std::string& path) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(path, ec);
    return ec ? path : abs.string();
  };
  cfg.openssl_certificate = absolute(files.certificate);
  cfg.openssl_key = absolute(files.key);
  cfg.openssl_cafile = absolute(files.ca_file);
  cfg.openssl_passphrase = files.passphrase;
  cfg.openssl_capath.clear();
}

bool caf_openssl_options_set(const caf::actor_system_config& cfg) {
  return !cfg.openssl_certificate.empty() || !cfg.openssl_key.empty()
         || !cfg.openssl_cafile.empty() || !cfg.openssl_capath.empty()
         || !cfg.openssl_passphrase.empty();
}

caf::io::middleman_actor middleman_handle(caf::actor_system& sys) {
  if (sys.has_openssl_manager())
    return sys.openssl_manager().actor_handle();
  return sys.middleman().actor_handle();
}

} // namespace cursor::app
