// The security of the agent's HTTP endpoint, configured the way Prometheus exporters are
// (the exporter-toolkit "web configuration file", given by http.web_config_file or
// --web.config.file): TLS under `tls_server_config`, basic authentication under
// `basic_auth_users` (user: bcrypt hash). Reference: docs/security-http.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config_loader.hpp"

namespace ks::web {

// exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType names).
enum class ClientAuth {
  no_client_cert,                 // NoClientCert (the default)
  request_client_cert,            // RequestClientCert: asked for, not required, not verified
  require_any_client_cert,        // RequireAnyClientCert: required, not verified
  verify_client_cert_if_given,    // VerifyClientCertIfGiven: verified against client_ca_file
  require_and_verify_client_cert  // RequireAndVerifyClientCert: mutual TLS
};

enum class TlsVersion { tls12, tls13 };

struct TlsServerConfig {
  std::string cert_file;  // PEM: the server's certificate, then any intermediates
  std::string key_file;   // PEM: its private key (not encrypted)
  ClientAuth client_auth = ClientAuth::no_client_cert;
  std::string client_ca_file;  // PEM: the CAs client certificates must chain to
  TlsVersion min_version = TlsVersion::tls12;
  TlsVersion max_version = TlsVersion::tls13;

  bool operator==(const TlsServerConfig&) const = default;
};

// True for client_auth types that verify the client's certificate against client_ca_file.
bool verifies_client_certificates(ClientAuth auth);

struct WebConfig {
  std::string source;  // the file it was read from
  std::optional<TlsServerConfig> tls;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash

  bool operator==(const WebConfig&) const = default;
};

struct WebConfigLoad {
  WebConfig config;
  std::vector<config::ConfigProblem> problems;  // file, line and key path of each
  std::string unreadable;  // why the file could not be read ("" when it could)
  bool ok() const { return problems.empty(); }
};

// Reads and checks the file: unknown keys, a password that is not a bcrypt hash, and the
// TLS files (each must load: certificate, key matching it, client CAs). Relative paths in
// it are relative to the file's own directory, as exporter-toolkit resolves them. No
// problem message contains a password or a hash.
WebConfigLoad load_web_config_file(const std::string& path);
WebConfigLoad parse_web_config(std::string_view yaml, const std::string& source);

// One line per problem ("FILE:LINE: KEY: MESSAGE"), for startup errors.
std::string describe_problems(const std::vector<config::ConfigProblem>& problems);

}  // namespace ks::web
