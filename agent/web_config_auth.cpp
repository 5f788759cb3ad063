#include "agent/web_config_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace ks::web {
namespace {

// Remembered credentials are forgotten all at once past this many: a scraper or two uses
// one or two; a flood of distinct (correct) ones only costs bcrypt checks again.
constexpr std::size_t kMaxRemembered = 256;
constexpr std::size_t kBcryptHashLength = 60;

bool is_bcrypt_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '/';
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding (RFC 4648 section 4), as RFC 7617 prescribes for Basic.
std::optional<std::string> decode_base64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  std::uint32_t accumulated = 0;
  int bits = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=') {
      // Padding: only the last one or two characters, and nothing after it.
      if (i + 2 < in.size() || (i + 1 < in.size() && in[i + 1] != '=')) return std::nullopt;
      break;
    }
    const int value = base64_value(in[i]);
    if (value < 0) return std::nullopt;
    accumulated = (accumulated << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulated >> bits) & 0xffU));
    }
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A bcrypt setting ("$2b$CC$" + salt) at the cost of `like`, with a random salt: the hash
// unknown users are checked against, so that they cost what a known user costs.
std::string decoy_setting(const std::map<std::string, std::string>& users) {
  unsigned long cost = 10;
  if (!users.empty()) cost = std::stoul(users.begin()->second.substr(4, 2));
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  if (crypt_gensalt_rn("$2b$", cost, nullptr, 0, setting.data(), static_cast<int>(setting.size())) ==
      nullptr) {
    throw std::runtime_error("libcrypt cannot make a bcrypt salt");
  }
  return setting.data();
}

}  // namespace

bool is_bcrypt_hash(std::string_view text) {
  if (text.size() != kBcryptHashLength || !text.starts_with("$2") || text[3] != '$' ||
      text[6] != '$') {
    return false;
  }
  if (text[2] != 'a' && text[2] != 'b' && text[2] != 'y') return false;
  if (!std::isdigit(static_cast<unsigned char>(text[4])) ||
      !std::isdigit(static_cast<unsigned char>(text[5]))) {
    return false;
  }
  const int cost = (text[4] - '0') * 10 + (text[5] - '0');
  if (cost < 4 || cost > 31) return false;
  const std::string_view rest = text.substr(7);
  if (!std::all_of(rest.begin(), rest.end(), is_bcrypt_char)) return false;
  // libcrypt must agree that it can check passwords against it.
  return crypt_checksalt(std::string(text).c_str()) == CRYPT_SALT_OK;
}

std::optional<BasicCredentials> parse_basic_authorization(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  const std::size_t space = header.find(' ');
  if (space == std::string_view::npos || !iequals(header.substr(0, space), "Basic")) {
    return std::nullopt;
  }
  std::string_view token = header.substr(space);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  const std::optional<std::string> decoded = decode_base64(token);
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  // A NUL would end the password early for crypt(): "secret\0anything" must not pass.
  if (colon == std::string::npos || decoded->find('\0') != std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool bcrypt_matches(const std::string& password, const std::string& hash) {
  // crypt_data is ~32 KB: on the heap, not on a server worker's stack. Zeroed, as
  // crypt_rn requires on first use.
  auto data = std::make_unique<crypt_data>();
  const char* computed = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  if (computed == nullptr) return false;
  const std::size_t length = std::strlen(computed);
  const bool same = length == hash.size() && CRYPTO_memcmp(computed, hash.data(), length) == 0;
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return same;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {
  if (RAND_bytes(salt_.data(), static_cast<int>(salt_.size())) != 1) {
    throw std::runtime_error("OpenSSL cannot provide random bytes");
  }
  users_.emplace("", decoy_setting(users_));  // "" is no valid user: the decoy's slot
}

BasicAuth::Digest BasicAuth::remembered_key(const BasicCredentials& credentials,
                                            const std::string& hash) const {
  std::string input(reinterpret_cast<const char*>(salt_.data()), salt_.size());
  input.append(credentials.user).push_back('\0');
  input.append(hash).push_back('\0');
  input.append(credentials.password);
  Digest digest{};
  unsigned int length = 0;
  const bool ok =
      EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha256(), nullptr) == 1;
  OPENSSL_cleanse(input.data(), input.size());
  if (!ok) throw std::runtime_error("OpenSSL cannot compute SHA-256");
  return digest;
}

bool BasicAuth::allows(std::string_view authorization_header) {
  std::optional<BasicCredentials> credentials = parse_basic_authorization(authorization_header);
  if (!credentials) return false;
  auto user = credentials->user.empty() ? users_.end() : users_.find(credentials->user);
  const bool known = user != users_.end();
  if (!known) user = users_.find("");  // the decoy: same cost, never a match
  const Digest key = remembered_key(*credentials, user->second);
  {
    std::lock_guard lock(mutex_);
    if (known && accepted_.contains(key)) return true;
  }
  const bool matches = bcrypt_matches(credentials->password, user->second);
  OPENSSL_cleanse(credentials->password.data(), credentials->password.size());
  if (!matches || !known) return false;
  std::lock_guard lock(mutex_);
  if (accepted_.size() >= kMaxRemembered) accepted_.clear();
  accepted_.insert(key);
  return true;
}

}  // namespace ks::web
