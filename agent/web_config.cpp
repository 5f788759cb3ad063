#include "agent/web_config.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "agent/config/validators.hpp"
#include "agent/web_config_auth.hpp"
#include "agent/web_config_tls.hpp"

namespace ks::web {
namespace {

using config::ConfigProblem;
using config::quote;

constexpr const char* kTlsKeys = "cert_file, key_file, client_auth_type, client_ca_file, "
                                 "min_version, max_version";

// exporter-toolkit keys this agent does not implement: named as such rather than "unknown",
// so a file shared with an exporter gets a clear answer.
bool unsupported_tls_key(const std::string& key) {
  static const std::array<const char*, 7> keys{
      "cert", "key", "client_ca", "cipher_suites", "curve_preferences",
      "prefer_server_cipher_suites", "client_allowed_sans"};
  for (const char* k : keys) {
    if (key == k) return true;
  }
  return false;
}

std::optional<ClientAuth> parse_client_auth(const std::string& text) {
  if (text == "NoClientCert") return ClientAuth::no_client_cert;
  if (text == "RequestClientCert") return ClientAuth::request_client_cert;
  if (text == "RequireAnyClientCert") return ClientAuth::require_any_client_cert;
  if (text == "VerifyClientCertIfGiven") return ClientAuth::verify_client_cert_if_given;
  if (text == "RequireAndVerifyClientCert") return ClientAuth::require_and_verify_client_cert;
  return std::nullopt;
}

std::optional<TlsVersion> parse_tls_version(const std::string& text) {
  if (text == "TLS12") return TlsVersion::tls12;
  if (text == "TLS13") return TlsVersion::tls13;
  return std::nullopt;
}

// Walks the YAML document, recording each problem with the line of the value (or key) at
// fault and the key path exporter-toolkit's documentation uses.
class Parser {
 public:
  Parser(std::string source, std::vector<ConfigProblem>& problems)
      : source_(std::move(source)), problems_(problems) {}

  void add(const YAML::Node& at, std::string key, std::string message) {
    const YAML::Mark mark = at.Mark();
    const int line = mark.is_null() ? 0 : mark.line + 1;
    const int column = mark.is_null() ? 0 : mark.column + 1;
    problems_.push_back({source_, line, column, std::move(key), std::move(message)});
  }

  // A string value; records a problem (and returns nothing) for a mapping or a list.
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& key) {
    if (node.IsScalar()) return node.Scalar();
    add(node, key, "expected a string");
    return std::nullopt;
  }

  bool is_mapping(const YAML::Node& node, const std::string& key) {
    if (node.IsMap()) return true;
    add(node, key, "expected a mapping");
    return false;
  }

  void read(const YAML::Node& root, WebConfig& out) {
    if (root.IsNull()) return;  // an empty file: plain HTTP, no authentication
    if (!is_mapping(root, "")) return;
    for (const auto& entry : root) {
      const std::string key = entry.first.Scalar();
      if (key == "tls_server_config") {
        read_tls(entry.second, out);
      } else if (key == "basic_auth_users") {
        read_users(entry.second, out);
      } else if (key == "http_server_config") {
        add(entry.first, key, "is not supported by kafka-sentinel (HTTP/2 and extra headers)");
      } else {
        add(entry.first, key,
            "unknown key " + quote(key) + " (valid keys: tls_server_config, basic_auth_users)");
      }
    }
  }

  // The node of `path`'s value when it was read, else `fallback`.
  YAML::Node at(const std::string& path, const YAML::Node& fallback) const {
    const auto found = lines_.find(path);
    return found == lines_.end() ? fallback : found->second;
  }

 private:
  void read_tls(const YAML::Node& node, WebConfig& out) {
    if (node.IsNull()) return;  // empty: TLS off, as exporter-toolkit treats it
    if (!is_mapping(node, "tls_server_config")) return;
    TlsServerConfig tls;
    for (const auto& entry : node) read_tls_key(entry.first, entry.second, tls);
    check_tls(node, tls);
    out.tls = tls;
  }

  void read_tls_key(const YAML::Node& key_node, const YAML::Node& value, TlsServerConfig& tls) {
    const std::string key = key_node.Scalar();
    const std::string path = "tls_server_config." + key;
    if (unsupported_tls_key(key)) {
      add(key_node, path, "is not supported by kafka-sentinel (use " + std::string(kTlsKeys) + ")");
      return;
    }
    if (key != "cert_file" && key != "key_file" && key != "client_auth_type" &&
        key != "client_ca_file" && key != "min_version" && key != "max_version") {
      add(key_node, path, "unknown key " + quote(key) + " (valid keys: " + kTlsKeys + ")");
      return;
    }
    const std::optional<std::string> text = scalar(value, path);
    if (!text) return;
    lines_[path] = value;
    if (key == "cert_file") tls.cert_file = *text;
    if (key == "key_file") tls.key_file = *text;
    if (key == "client_ca_file") tls.client_ca_file = *text;
    if (key == "client_auth_type") {
      if (const auto auth = parse_client_auth(*text)) {
        tls.client_auth = *auth;
      } else {
        add(value, path,
            "expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
            "VerifyClientCertIfGiven or RequireAndVerifyClientCert, got " + quote(*text));
      }
    }
    if (key == "min_version" || key == "max_version") {
      if (const auto version = parse_tls_version(*text)) {
        (key == "min_version" ? tls.min_version : tls.max_version) = *version;
      } else {
        add(value, path, "expected TLS12 or TLS13 (older versions are not offered), got " + quote(*text));
      }
    }
  }

  // The keys' values against each other (each problem at the key it is about).
  void check_tls(const YAML::Node& section, const TlsServerConfig& tls) {
    if (tls.cert_file.empty()) add(section, "tls_server_config.cert_file", "missing: the server certificate (PEM)");
    if (tls.key_file.empty()) add(section, "tls_server_config.key_file", "missing: the certificate's private key (PEM)");
    if (!tls.client_ca_file.empty() && tls.client_auth == ClientAuth::no_client_cert) {
      add(at("tls_server_config.client_ca_file", section), "tls_server_config.client_ca_file",
          "is set but client_auth_type is NoClientCert: set client_auth_type "
          "(RequireAndVerifyClientCert for mutual TLS), or remove client_ca_file");
    }
    if (verifies_client_certificates(tls.client_auth) && tls.client_ca_file.empty()) {
      add(at("tls_server_config.client_auth_type", section), "tls_server_config.client_auth_type",
          "verifies client certificates: client_ca_file must name the CAs that sign them");
    }
    if (tls.min_version == TlsVersion::tls13 && tls.max_version == TlsVersion::tls12) {
      add(at("tls_server_config.max_version", section), "tls_server_config.max_version",
          "is below min_version");
    }
  }

  void read_users(const YAML::Node& node, WebConfig& out) {
    if (node.IsNull()) return;
    if (!is_mapping(node, "basic_auth_users")) return;
    for (const auto& entry : node) {
      const std::string user = entry.first.Scalar();
      const std::string path = "basic_auth_users." + user;
      if (user.empty() || user.find(':') != std::string::npos) {
        add(entry.first, path, "a user name must not be empty nor contain ':'");
        continue;
      }
      const std::optional<std::string> hash = scalar(entry.second, path);
      if (!hash) continue;
      // The value is never repeated in the message: it may be a password.
      if (!is_bcrypt_hash(*hash)) {
        add(entry.second, path,
            "is not a bcrypt hash (\"$2b$\", \"$2a$\" or \"$2y$\", a cost, 53 characters): "
            "store a hash of the password (htpasswd -nBC 10 USER prints one), never the password");
        continue;
      }
      out.basic_auth_users[user] = *hash;
    }
  }

  std::string source_;
  std::vector<ConfigProblem>& problems_;
  std::map<std::string, YAML::Node> lines_;  // key path -> its value, for later problems
};

// Paths in the file are relative to the file's directory.
std::string resolve(const std::string& path, const std::string& source) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(source).parent_path() / path).lexically_normal().string();
}

// Each TLS file must load now: a bad certificate is a startup error, not a failed handshake.
void check_tls_files(Parser& parser, const YAML::Node& root, WebConfig& config) {
  TlsServerConfig& tls = *config.tls;
  tls.cert_file = resolve(tls.cert_file, config.source);
  tls.key_file = resolve(tls.key_file, config.source);
  tls.client_ca_file = resolve(tls.client_ca_file, config.source);
  TlsFileProblem problem;
  if (!TlsCredentials::load(tls, problem)) {
    parser.add(parser.at(problem.key, root["tls_server_config"]), problem.key, problem.message);
  }
}

}  // namespace

bool verifies_client_certificates(ClientAuth auth) {
  return auth == ClientAuth::verify_client_cert_if_given ||
         auth == ClientAuth::require_and_verify_client_cert;
}

WebConfigLoad parse_web_config(std::string_view yaml, const std::string& source) {
  WebConfigLoad result;
  result.config.source = source;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    result.problems.push_back({source, e.mark.is_null() ? 0 : e.mark.line + 1,
                               e.mark.is_null() ? 0 : e.mark.column + 1, "", e.msg});
    return result;
  }
  Parser parser(source, result.problems);
  parser.read(root, result.config);
  if (result.ok() && result.config.tls) check_tls_files(parser, root, result.config);
  return result;
}

WebConfigLoad load_web_config_file(const std::string& path) {
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  std::string text;
  if (file) {
    std::array<char, 16384> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) text.append(buffer.data(), n);
  }
  if (!file || std::ferror(file.get())) {
    WebConfigLoad result;
    result.config.source = path;
    result.unreadable = std::strerror(errno);
    result.problems.push_back({path, 0, 0, "", "cannot read: " + result.unreadable});
    return result;
  }
  return parse_web_config(text, path);
}

std::string describe_problems(const std::vector<config::ConfigProblem>& problems) {
  std::string out;
  for (const auto& problem : problems) {
    if (!out.empty()) out += "\n";
    out += problem.to_string();
  }
  return out;
}

}  // namespace ks::web
