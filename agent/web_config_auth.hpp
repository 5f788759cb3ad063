// Basic authentication of the HTTP endpoint against basic_auth_users (agent/web_config.hpp):
// passwords checked with bcrypt through libcrypt, as Prometheus exporters check them.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace ks::web {

// A bcrypt hash as htpasswd -B and exporter-toolkit's users write it:
// "$2a$", "$2b$" or "$2y$", a cost of two digits, "$", 53 characters of bcrypt's base64.
bool is_bcrypt_hash(std::string_view text);

struct BasicCredentials {
  std::string user;
  std::string password;
};

// The user and password of an "Authorization: Basic BASE64(user:password)" header; nothing
// for any other scheme or a malformed value.
std::optional<BasicCredentials> parse_basic_authorization(std::string_view header);

class BasicAuth {
 public:
  // `users`: user -> bcrypt hash (checked by the web config loader).
  explicit BasicAuth(std::map<std::string, std::string> users);

  // True when the header carries a configured user and that user's password. A bcrypt
  // check costs milliseconds by design; a scraper sends the same credentials every time, so
  // those that passed are remembered (as a salted SHA-256, never in clear) and the next
  // request with them costs a hash. An unknown user costs a bcrypt check too, so that the
  // time taken does not tell which users exist.
  bool allows(std::string_view authorization_header);

 private:
  using Digest = std::array<unsigned char, 32>;
  Digest remembered_key(const BasicCredentials& credentials, const std::string& hash) const;

  std::map<std::string, std::string> users_;
  std::array<unsigned char, 32> salt_{};  // random per process
  std::mutex mutex_;
  std::set<Digest> accepted_;  // bounded: cleared when it reaches kMaxRemembered
};

// Whether `password` matches the bcrypt `hash` (libcrypt's crypt_rn; the result is compared
// in constant time).
bool bcrypt_matches(const std::string& password, const std::string& hash);

}  // namespace ks::web
