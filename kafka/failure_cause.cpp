#include "kafka/failure_cause.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>

namespace ks::kafka {
namespace {

struct Pattern {
  std::string_view needle;  // lower case
  FailureCause cause;
};

// First match wins: the specific TLS alerts before the generic handshake failure, our own
// certificate's problems before the broker's verdict on it. The texts are librdkafka's (and
// OpenSSL's, which librdkafka quotes) as of librdkafka 2.0.
constexpr std::array<Pattern, 24> kPatterns{{
    {"key values mismatch", FailureCause::client_certificate_invalid},
    {"ssl.key.location failed", FailureCause::client_certificate_invalid},
    {"ssl.certificate.location failed", FailureCause::client_certificate_invalid},
    {"ssl.ca.location failed", FailureCause::client_certificate_invalid},
    {"certificate verify failed", FailureCause::certificate_verify_failed},
    {"could not be verified", FailureCause::certificate_verify_failed},
    {"alert unknown ca", FailureCause::client_certificate_rejected},
    {"alert bad certificate", FailureCause::client_certificate_rejected},
    {"alert certificate expired", FailureCause::client_certificate_rejected},
    {"alert certificate required", FailureCause::client_certificate_rejected},
    {"alert certificate unknown", FailureCause::client_certificate_rejected},
    {"alert certificate revoked", FailureCause::client_certificate_rejected},
    {"alert unsupported certificate", FailureCause::client_certificate_rejected},
    {"incorrect security.protocol", FailureCause::security_protocol_mismatch},
    {"wrong version number", FailureCause::security_protocol_mismatch},
    {"packet length too long", FailureCause::security_protocol_mismatch},
    {"sasl authentication error", FailureCause::authentication_failed},
    {"sasl handshake failed", FailureCause::authentication_failed},
    {"authentication failed", FailureCause::authentication_failed},
    {"authorization failed", FailureCause::authorization_failed},
    {"not authorized", FailureCause::authorization_failed},
    {"connection refused", FailureCause::connection_refused},
    {"failed to resolve", FailureCause::name_resolution_failed},
    {"name or service not known", FailureCause::name_resolution_failed},
}};

struct Description {
  std::string_view label;
  std::string_view words;
  std::string_view hint;
};

constexpr std::array<Description, kFailureCauseCount> kDescriptions{{
    {"none", "", ""},
    {"authentication_failed", "authentication failed",
     "check sasl.mechanism, sasl.username and sasl.password against the broker's users"},
    {"certificate_verify_failed", "certificate verify failed",
     "the broker's certificate is not signed by a CA in ssl.ca.location (or does not name the "
     "address connected to)"},
    {"client_certificate_rejected", "client certificate rejected",
     "the broker refused ssl.certificate.location: expired, signed by a CA it does not trust, "
     "or missing"},
    {"client_certificate_invalid", "client certificate invalid",
     "ssl.certificate.location and ssl.key.location cannot be used together (unreadable, or "
     "the key does not match the certificate)"},
    {"security_protocol_mismatch", "security protocol mismatch",
     "security.protocol does not match the broker's listener (PLAINTEXT against TLS, or the "
     "reverse)"},
    {"authorization_failed", "authorization failed",
     "an ACL denies the agent's principal; see docs/security.md for the ACLs it needs"},
    {"connection_refused", "connection refused", "nothing listens at that address"},
    {"name_resolution_failed", "name resolution failed", "the broker's host name does not resolve"},
}};

std::array<std::atomic<std::uint64_t>, kFailureCauseCount> g_counts{};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

FailureCause classify_failure(std::string_view text) {
  const std::string haystack = lower(text);
  for (const Pattern& p : kPatterns) {
    if (haystack.find(p.needle) != std::string::npos) return p.cause;
  }
  return FailureCause::none;
}

bool is_security_failure(FailureCause cause) {
  return cause != FailureCause::none && cause != FailureCause::connection_refused &&
         cause != FailureCause::name_resolution_failed;
}

std::string_view cause_words(FailureCause cause) {
  return kDescriptions[static_cast<std::size_t>(cause)].words;
}

std::string_view cause_label(FailureCause cause) {
  return kDescriptions[static_cast<std::size_t>(cause)].label;
}

std::string_view cause_hint(FailureCause cause) {
  return kDescriptions[static_cast<std::size_t>(cause)].hint;
}

void count_failure(FailureCause cause) {
  g_counts[static_cast<std::size_t>(cause)].fetch_add(1, std::memory_order_relaxed);
}

std::array<std::uint64_t, kFailureCauseCount> failure_counts() {
  std::array<std::uint64_t, kFailureCauseCount> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = g_counts[i].load(std::memory_order_relaxed);
  return out;
}

}  // namespace ks::kafka
