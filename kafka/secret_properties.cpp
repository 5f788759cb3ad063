#include "kafka/secret_properties.hpp"

#include <array>

namespace ks::kafka {
namespace {

constexpr std::string_view kRedacted = "[redacted]";

// Substrings of property names whose values are secrets (librdkafka's and the Java client's
// spellings alike).
constexpr std::array<std::string_view, 6> kSecretParts{
    "password", "secret", "jaas", ".pem", "oauthbearer.config", "token"};

}  // namespace

bool is_secret_property(std::string_view name) {
  for (std::string_view part : kSecretParts) {
    if (name.find(part) != std::string_view::npos) return true;
  }
  return false;
}

std::string shown_value(std::string_view name, std::string_view value) {
  return std::string(is_secret_property(name) ? kRedacted : value);
}

std::string redact_value(std::string text, std::string_view name, std::string_view value) {
  if (!is_secret_property(name) || value.empty()) return text;
  for (auto at = text.find(value); at != std::string::npos; at = text.find(value, at)) {
    text.replace(at, value.size(), kRedacted);
    at += kRedacted.size();
  }
  return text;
}

}  // namespace ks::kafka
