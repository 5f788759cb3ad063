// Why a Kafka connection failed, in words an operator acts on: librdkafka reports a refused
// password, an untrusted broker certificate or a client speaking PLAINTEXT to a TLS port as
// free text in its logs and errors; this sorts that text into a few causes for /readyz, the
// logs (once per change of cause), the health events and a self-metric counting each cause.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ks::kafka {

enum class FailureCause : std::uint8_t {
  none,                         // not a failure we can name (or nothing recorded)
  authentication_failed,        // SASL: wrong password, unknown user, mechanism not enabled
  certificate_verify_failed,    // the broker's certificate is not trusted (ssl.ca.location)
  client_certificate_rejected,  // the broker refused ours: unknown CA, expired, missing
  client_certificate_invalid,   // ours is unusable here: key does not match, unreadable file
  security_protocol_mismatch,   // PLAINTEXT against a TLS port, TLS against a plain one
  authorization_failed,         // an ACL denies the request
  connection_refused,           // nothing listens there
  name_resolution_failed,       // the host name does not resolve
};
inline constexpr std::size_t kFailureCauseCount = 9;
static_assert(static_cast<std::size_t>(FailureCause::name_resolution_failed) + 1 == kFailureCauseCount);

// The cause of a librdkafka log line, error string or client-creation error; none when
// the text names none of the causes above.
FailureCause classify_failure(std::string_view text);
// A failure of the security settings (authentication, certificates, protocol, ACLs) rather
// than of the network: it repeats unchanged until someone fixes a setting.
bool is_security_failure(FailureCause cause);
// "authentication failed", "certificate verify failed", ...; "" for none.
std::string_view cause_words(FailureCause cause);
// The metric label: "authentication_failed", ...; "none" for none.
std::string_view cause_label(FailureCause cause);
// What to do about it, for /readyz and the log ("check sasl.username and sasl.password",
// ...); "" for none.
std::string_view cause_hint(FailureCause cause);

// Failures of each cause noted by any client of the process since it started (the
// self-metric kafka_sentinel_kafka_failures_total). Thread-safe.
void count_failure(FailureCause cause);
std::array<std::uint64_t, kFailureCauseCount> failure_counts();

}  // namespace ks::kafka
