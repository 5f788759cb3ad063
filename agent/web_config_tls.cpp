#include "agent/web_config_tls.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace ks::web {
namespace {

constexpr const char* kCertKey = "tls_server_config.cert_file";
constexpr const char* kKeyKey = "tls_server_config.key_file";
constexpr const char* kClientCaKey = "tls_server_config.client_ca_file";

struct BioCloser {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioCloser>;

// OpenSSL's most specific error in words; empties its per-thread error queue.
std::string openssl_error() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "no details from OpenSSL";
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

// Never asks for a passphrase: OpenSSL's default would read one from the terminal.
int no_passphrase(char*, int, int, void*) { return -1; }

Bio open_file(const std::string& path, const char* key, TlsFileProblem& problem) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    problem = {key, path + ": cannot read: " + std::strerror(errno)};
    return nullptr;
  }
  Bio bio(BIO_new_fp(file, BIO_CLOSE));
  if (!bio) {
    std::fclose(file);
    problem = {key, path + ": " + openssl_error()};
  }
  return bio;
}

int accept_any_certificate(int, X509_STORE_CTX*) { return 1; }

int install_current_credentials(SSL* ssl, void* reloader) {
  return static_cast<CertificateReloader*>(reloader)->current()->install(ssl) ? 1 : 0;
}

int openssl_version(TlsVersion version) {
  return version == TlsVersion::tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

}  // namespace

TlsCredentials::~TlsCredentials() {
  X509_free(cert_);
  sk_X509_pop_free(chain_, X509_free);
  EVP_PKEY_free(key_);
  X509_STORE_free(client_cas_);
  sk_X509_NAME_pop_free(client_ca_names_, X509_NAME_free);
}

std::shared_ptr<const TlsCredentials> TlsCredentials::load(const TlsServerConfig& config,
                                                           TlsFileProblem& problem) {
  std::shared_ptr<TlsCredentials> out(new TlsCredentials());
  ERR_clear_error();
  const Bio certs = open_file(config.cert_file, kCertKey, problem);
  if (!certs) return nullptr;
  out->cert_ = PEM_read_bio_X509(certs.get(), nullptr, no_passphrase, nullptr);
  if (out->cert_ == nullptr) {
    problem = {kCertKey, config.cert_file + ": no PEM certificate in it (" + openssl_error() + ")"};
    return nullptr;
  }
  out->chain_ = sk_X509_new_null();
  while (X509* intermediate = PEM_read_bio_X509(certs.get(), nullptr, no_passphrase, nullptr)) {
    sk_X509_push(out->chain_, intermediate);
  }
  ERR_clear_error();  // the read past the last certificate fails, as it should

  const Bio key = open_file(config.key_file, kKeyKey, problem);
  if (!key) return nullptr;
  out->key_ = PEM_read_bio_PrivateKey(key.get(), nullptr, no_passphrase, nullptr);
  if (out->key_ == nullptr) {
    problem = {kKeyKey, config.key_file + ": no unencrypted PEM private key in it (" +
                            openssl_error() + ")"};
    return nullptr;
  }
  if (X509_check_private_key(out->cert_, out->key_) != 1) {
    ERR_clear_error();
    problem = {kKeyKey, config.key_file + ": is not the key of the certificate in " + config.cert_file};
    return nullptr;
  }
  if (config.client_ca_file.empty()) return out;

  out->client_cas_ = X509_STORE_new();
  if (X509_STORE_load_file(out->client_cas_, config.client_ca_file.c_str()) != 1) {
    const std::string why = openssl_error();
    TlsFileProblem unreadable;
    if (!open_file(config.client_ca_file, kClientCaKey, unreadable)) {
      problem = unreadable;
    } else {
      problem = {kClientCaKey, config.client_ca_file + ": no PEM CA certificate in it (" + why + ")"};
    }
    return nullptr;
  }
  out->client_ca_names_ = SSL_load_client_CA_file(config.client_ca_file.c_str());
  ERR_clear_error();
  return out;
}

bool TlsCredentials::install(SSL* ssl) const {
  if (SSL_use_cert_and_key(ssl, cert_, key_, chain_, 1) != 1) return false;
  if (client_cas_ == nullptr) return true;
  // SSL_set1_verify_cert_store, spelled out: the macro's C cast of the store is an old-style
  // cast in C++. The connection takes its own reference.
  if (SSL_ctrl(ssl, SSL_CTRL_SET_VERIFY_CERT_STORE, 1, client_cas_) != 1) return false;
  if (client_ca_names_ != nullptr) SSL_set_client_CA_list(ssl, SSL_dup_CA_list(client_ca_names_));
  return true;
}

std::string TlsCredentials::certificate_der() const {
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert_, &der);
  if (length <= 0) return {};
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

FileStamp stamp_of(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return {};
  return {st.st_dev,
          st.st_ino,
          st.st_size,
          static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
          static_cast<long long>(st.st_ctim.tv_sec) * 1000000000LL + st.st_ctim.tv_nsec};
}

CertificateReloader::CertificateReloader(TlsServerConfig config, std::string source)
    : config_(std::move(config)), source_(std::move(source)) {
  loaded_ = stamps();  // before loading: a change while it loads is seen at the next call
  TlsFileProblem problem;
  credentials_ = TlsCredentials::load(config_, problem);
  if (!credentials_) throw std::runtime_error(source_ + ": " + problem.key + ": " + problem.message);
}

std::vector<FileStamp> CertificateReloader::stamps() const {
  return {stamp_of(config_.cert_file), stamp_of(config_.key_file), stamp_of(config_.client_ca_file)};
}

std::shared_ptr<const TlsCredentials> CertificateReloader::current() {
  const std::vector<FileStamp> now = stamps();
  std::lock_guard lock(mutex_);
  if (now == loaded_ || now == failed_) return credentials_;
  TlsFileProblem problem;
  std::shared_ptr<const TlsCredentials> fresh = TlsCredentials::load(config_, problem);
  if (!fresh) {
    failed_ = now;
    spdlog::warn("{}: {}: {}; still serving the certificate loaded before", source_, problem.key,
                 problem.message);
    return credentials_;
  }
  spdlog::info("{}: TLS files changed: serving the certificate of {} from now on", source_,
               config_.cert_file);
  credentials_ = std::move(fresh);
  loaded_ = now;
  failed_.clear();
  return credentials_;
}

bool configure_server_context(SSL_CTX& ctx, const TlsServerConfig& config,
                              CertificateReloader& reloader) {
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(&ctx, openssl_version(config.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(&ctx, openssl_version(config.max_version)) != 1) {
    return false;
  }
  // Resumed sessions must belong to this server (OpenSSL refuses to resume without a context
  // when client certificates are verified).
  static constexpr unsigned char kSessionContext[] = "kafka-sentinel";
  SSL_CTX_set_session_id_context(&ctx, kSessionContext, sizeof(kSessionContext) - 1);
  switch (config.client_auth) {
    case ClientAuth::no_client_cert:
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::request_client_cert:
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, accept_any_certificate);
      break;
    case ClientAuth::require_any_client_cert:
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
      break;
    case ClientAuth::verify_client_cert_if_given:
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::require_and_verify_client_cert:
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // Every handshake takes the reloader's current certificate (re-read if its files changed).
  SSL_CTX_set_cert_cb(&ctx, install_current_credentials, &reloader);
  return true;
}

}  // namespace ks::web
