// The OpenSSL side of tls_server_config (agent/web_config.hpp): loads the certificate chain,
// key and client CAs, sets up the HTTP server's SSL_CTX, and hands every new connection the
// current credentials, re-read from disk when one of the files has changed, so a renewed
// certificate is served without a restart.
#pragma once

#include <openssl/ssl.h>
#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/web_config.hpp"

namespace ks::web {

// What is wrong with one of the TLS files: `key` is its key in the web config
// ("tls_server_config.cert_file").
struct TlsFileProblem {
  std::string key;
  std::string message;
};

// A certificate with its chain and key, and the client CAs: what one handshake needs.
class TlsCredentials {
 public:
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

  // Loads every file of `config`; on failure returns null and fills `problem`.
  static std::shared_ptr<const TlsCredentials> load(const TlsServerConfig& config,
                                                     TlsFileProblem& problem);
  // Gives `ssl` (a connection in its handshake) these credentials; false on failure.
  bool install(SSL* ssl) const;
  // The DER encoding of the leaf certificate (tests compare what is served).
  std::string certificate_der() const;

 private:
  TlsCredentials() = default;
  X509* cert_ = nullptr;
  STACK_OF(X509)* chain_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  X509_STORE* client_cas_ = nullptr;                  // null without client_ca_file
  STACK_OF(X509_NAME)* client_ca_names_ = nullptr;    // sent in the certificate request
};

// Identity of a file's content as the file system sees it: a rename over it, or a write in
// place, changes it.
struct FileStamp {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = -1;
  long long mtime_ns = 0;
  long long ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp stamp_of(const std::string& path);

// The credentials of new connections: each call checks the files' stamps (one stat each)
// and loads them again when one changed. A change that does not load (a key that does not
// match the new certificate yet, half a file) keeps the credentials in use and is logged
// once; the next call after the files change again tries again.
class CertificateReloader {
 public:
  // Loads the files; throws "SOURCE: KEY: problem" when they do not load. `source`: the web
  // config file, for messages.
  CertificateReloader(TlsServerConfig config, std::string source);
  std::shared_ptr<const TlsCredentials> current();

 private:
  std::vector<FileStamp> stamps() const;

  TlsServerConfig config_;
  std::string source_;
  std::mutex mutex_;
  std::shared_ptr<const TlsCredentials> credentials_;
  std::vector<FileStamp> loaded_;  // stamps of the files behind credentials_
  std::vector<FileStamp> failed_;  // stamps of the last change that failed to load
};

// Sets up `ctx` of the HTTPS server: protocol versions, client certificate policy, and a
// certificate callback that installs `reloader`'s current credentials on every handshake.
// `reloader` must outlive the context.
bool configure_server_context(SSL_CTX& ctx, const TlsServerConfig& config,
                              CertificateReloader& reloader);

}  // namespace ks::web
