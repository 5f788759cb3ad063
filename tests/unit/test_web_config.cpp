// The HTTP endpoint's web config (agent/web_config.hpp): parsing and its problems, basic
// authentication with bcrypt (agent/web_config_auth.hpp), and the config keys and flag that
// name the file. TLS itself, with a real Prometheus: tests/e2e/test-http-tls-auth.py.
#include <crypt.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/config/config_loader.hpp"
#include "agent/web_config.hpp"
#include "agent/web_config_auth.hpp"

namespace {

// A bcrypt hash of `password` at cost 4 (the quickest), made by libcrypt as htpasswd would.
std::string bcrypt(const std::string& password) {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  REQUIRE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, setting.data(), static_cast<int>(setting.size())));
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), setting.data(), &data, sizeof(data));
  REQUIRE(hash != nullptr);
  return hash;
}

std::string basic(const std::string& user_and_password) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < user_and_password.size(); i += 3) {
    std::uint32_t n = 0;
    const std::size_t chunk = std::min<std::size_t>(3, user_and_password.size() - i);
    for (std::size_t j = 0; j < 3; ++j) {
      n = (n << 8) | (j < chunk ? static_cast<unsigned char>(user_and_password[i + j]) : 0U);
    }
    for (std::size_t j = 0; j < 4; ++j) {
      out += j <= chunk ? alphabet[(n >> (18 - 6 * j)) & 63U] : '=';
    }
  }
  return "Basic " + out;
}

std::vector<std::string> problems_of(const ks::web::WebConfigLoad& load) {
  std::vector<std::string> out;
  for (const auto& problem : load.problems) out.push_back(problem.to_string());
  return out;
}

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("ks-web-config-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

}  // namespace

TEST_CASE("a web config with basic_auth_users loads its users and hashes", "[web-config]") {
  const std::string hash = bcrypt("secret");
  const auto load = ks::web::parse_web_config("basic_auth_users:\n  alice: " + hash + "\n", "web.yml");
  INFO(ks::web::describe_problems(load.problems));
  REQUIRE(load.ok());
  CHECK(!load.config.tls);
  CHECK(load.config.basic_auth_users == std::map<std::string, std::string>{{"alice", hash}});
  // An empty file, or an empty tls_server_config, is plain HTTP, as for exporter-toolkit.
  CHECK(ks::web::parse_web_config("", "web.yml").ok());
  CHECK(!ks::web::parse_web_config("tls_server_config:\n", "web.yml").config.tls);
}

TEST_CASE("a plaintext password is a problem naming file, line and user, not the password", "[web-config]") {
  const auto load = ks::web::parse_web_config(
      "basic_auth_users:\n  alice: " + bcrypt("x") + "\n  bob: hunter2\n", "/etc/ks/web.yml");
  REQUIRE(load.problems.size() == 1);
  const std::string message = load.problems[0].to_string();
  CHECK_THAT(message, Catch::StartsWith("/etc/ks/web.yml:3: basic_auth_users.bob: is not a bcrypt hash"));
  CHECK(message.find("hunter2") == std::string::npos);
}

TEST_CASE("unknown and unsupported keys of the web config are problems", "[web-config]") {
  CHECK(problems_of(ks::web::parse_web_config("basic_auth_user:\n  a: b\n", "w.yml")) ==
        std::vector<std::string>{"w.yml:1: basic_auth_user: unknown key \"basic_auth_user\" "
                                 "(valid keys: tls_server_config, basic_auth_users)"});
  const auto tls = problems_of(ks::web::parse_web_config(
      "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  cipher_suites: [x]\n"
      "  min_version: TLS11\n  client_auth: x\n",
      "w.yml"));
  REQUIRE(tls.size() == 3);
  CHECK_THAT(tls[0], Catch::StartsWith("w.yml:4: tls_server_config.cipher_suites: is not supported"));
  CHECK_THAT(tls[1], Catch::StartsWith("w.yml:5: tls_server_config.min_version: expected TLS12 or TLS13"));
  CHECK_THAT(tls[2], Catch::StartsWith("w.yml:6: tls_server_config.client_auth: unknown key"));
}

TEST_CASE("client certificate settings must agree with each other", "[web-config]") {
  const auto no_ca = problems_of(ks::web::parse_web_config(
      "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
      "  client_auth_type: RequireAndVerifyClientCert\n",
      "w.yml"));
  REQUIRE(no_ca.size() == 1);
  CHECK_THAT(no_ca[0], Catch::StartsWith("w.yml:4: tls_server_config.client_auth_type: verifies client "
                                         "certificates: client_ca_file must name"));
  const auto no_policy = problems_of(ks::web::parse_web_config(
      "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  client_ca_file: ca.pem\n", "w.yml"));
  REQUIRE(no_policy.size() == 1);
  CHECK_THAT(no_policy[0], Catch::StartsWith("w.yml:4: tls_server_config.client_ca_file: is set but "
                                             "client_auth_type is NoClientCert"));
  const auto missing_key = problems_of(
      ks::web::parse_web_config("tls_server_config:\n  cert_file: c.pem\n", "w.yml"));
  REQUIRE(missing_key.size() == 1);
  CHECK_THAT(missing_key[0], Catch::Contains("tls_server_config.key_file: missing"));
}

TEST_CASE("TLS files that do not load are problems naming the key and the file", "[web-config]") {
  const TempDir dir;
  dir.write("garbage.pem", "not a certificate\n");
  const std::string web = dir.write("web.yml",
                                    "tls_server_config:\n  cert_file: garbage.pem\n  key_file: none.pem\n");
  const auto load = ks::web::load_web_config_file(web);
  REQUIRE(load.problems.size() == 1);
  // Relative paths are relative to the web config's directory.
  CHECK_THAT(load.problems[0].to_string(),
             Catch::StartsWith(web + ":2: tls_server_config.cert_file: " + (dir.path / "garbage.pem").string() +
                               ": no PEM certificate in it"));
  const std::string missing = dir.write("web2.yml", "tls_server_config:\n  cert_file: /nonexistent/c.pem\n"
                                                    "  key_file: k.pem\n");
  CHECK_THAT(ks::web::load_web_config_file(missing).problems.at(0).to_string(),
             Catch::StartsWith(missing + ":2: tls_server_config.cert_file: /nonexistent/c.pem: cannot read: "
                                         "No such file or directory"));
}

TEST_CASE("http.web_config_file and --web.config.file are checked with the config", "[web-config][config]") {
  const auto missing = ks::config::load_config_text("http:\n  web_config_file: /nonexistent/web.yml\n", "a.yaml");
  REQUIRE(missing.problems.size() == 1);
  CHECK(missing.problems[0].to_string() ==
        "a.yaml:2: http.web_config_file: cannot read \"/nonexistent/web.yml\": No such file or directory");

  const TempDir dir;
  const std::string web = dir.write("web.yml", "basic_auth_users:\n  bob: plaintext\n");
  const auto inner = ks::config::load_config_text("http:\n  web_config_file: " + web + "\n", "a.yaml");
  REQUIRE(inner.problems.size() == 1);
  CHECK_THAT(inner.problems[0].to_string(), Catch::StartsWith(web + ":2: basic_auth_users.bob: is not a bcrypt"));

  ks::Config config;
  ks::config::Overrides flags;
  flags.web_config_file = "/nonexistent/web.yml";
  const auto flag_problems = ks::config::apply_overrides(config, flags);
  REQUIRE(flag_problems.size() == 1);
  CHECK(flag_problems[0].to_string() ==
        "command line: --web.config.file: cannot read \"/nonexistent/web.yml\": No such file or directory");
}

TEST_CASE("bcrypt hashes are recognised; anything else is not", "[web-config][auth]") {
  CHECK(ks::web::is_bcrypt_hash(bcrypt("pw")));
  CHECK_FALSE(ks::web::is_bcrypt_hash("pw"));
  CHECK_FALSE(ks::web::is_bcrypt_hash("$1$abcdefgh$abcdefghijklmnopqrstuv"));  // MD5-crypt
  std::string wrong_cost = bcrypt("pw");
  wrong_cost[4] = '9';  // cost 94
  CHECK_FALSE(ks::web::is_bcrypt_hash(wrong_cost));
}

TEST_CASE("Basic authorization headers are parsed strictly", "[web-config][auth]") {
  const auto parsed = ks::web::parse_basic_authorization(basic("alice:pa:ss"));
  REQUIRE(parsed);
  CHECK(parsed->user == "alice");
  CHECK(parsed->password == "pa:ss");  // the first ':' separates
  CHECK(ks::web::parse_basic_authorization("basic " + basic("a:b").substr(6)));  // scheme in any case
  CHECK_FALSE(ks::web::parse_basic_authorization(""));
  CHECK_FALSE(ks::web::parse_basic_authorization("Bearer abc"));
  CHECK_FALSE(ks::web::parse_basic_authorization("Basic !!!!"));
  CHECK_FALSE(ks::web::parse_basic_authorization(basic("no-colon")));
  CHECK_FALSE(ks::web::parse_basic_authorization(basic(std::string("a:b\0c", 5))));
}

TEST_CASE("basic auth allows the right password only, for known users only", "[web-config][auth]") {
  ks::web::BasicAuth auth({{"alice", bcrypt("secret")}, {"bob", bcrypt("other")}});
  CHECK(auth.allows(basic("alice:secret")));
  CHECK(auth.allows(basic("alice:secret")));  // again: from the remembered digest
  CHECK(auth.allows(basic("bob:other")));
  CHECK_FALSE(auth.allows(basic("alice:other")));
  CHECK_FALSE(auth.allows(basic("alice:secret ")));
  CHECK_FALSE(auth.allows(basic("carol:secret")));
  CHECK_FALSE(auth.allows(basic(":secret")));
  CHECK_FALSE(auth.allows(""));
  CHECK_FALSE(auth.allows("Basic"));
}
