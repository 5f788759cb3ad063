// Kafka connection failures in words: librdkafka's texts (as librdkafka 2.0.2 wrote them
// against the secured local cluster of scripts/kafka-cluster.sh --security sasl_ssl) sorted
// into causes; a secret property's value never repeated in a message; a failure note that
// names its cause and goes stale.
#include <catch2/catch.hpp>

#include <string>

#include "kafka/client.hpp"
#include "kafka/failure_cause.hpp"
#include "kafka/secret_properties.hpp"

using ks::kafka::FailureCause;
using ks::kafka::classify_failure;

TEST_CASE("failure cause: librdkafka's texts of each failure", "[kafka][failure-cause]") {
  struct Case {
    const char* text;
    FailureCause cause;
  };
  const Case cases[] = {
      {"sasl_ssl://127.0.0.1:23410/bootstrap: SASL authentication error: Authentication failed "
       "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 "
       "(after 211ms in state AUTH_REQ)",
       FailureCause::authentication_failed},
      {"sasl_ssl://127.0.0.1:23410/bootstrap: SASL authentication error: Authentication failed: "
       "Invalid username or password (after 304ms in state AUTH_REQ)",
       FailureCause::authentication_failed},
      {"sasl_ssl://127.0.0.1:23410/bootstrap: SSL handshake failed: error:0A000086:SSL "
       "routines::certificate verify failed: broker certificate could not be verified, verify "
       "that ssl.ca.location is correctly configured or root CA certificates are installed "
       "(install ca-certificates package) (after 447ms in state SSL_HANDSHAKE)",
       FailureCause::certificate_verify_failed},
      {"ssl://127.0.0.1:23610/bootstrap: Receive failed: error:0A000416:SSL routines::sslv3 "
       "alert certificate unknown: SSL alert number 46 (after 406ms in state APIVERSION_QUERY)",
       FailureCause::client_certificate_rejected},
      {"ssl://127.0.0.1:23610/bootstrap: Receive failed: error:0A000412:SSL routines::sslv3 "
       "alert bad certificate: SSL alert number 42 (after 2ms in state APIVERSION_QUERY)",
       FailureCause::client_certificate_rejected},
      {"127.0.0.1:23410/bootstrap: Disconnected while requesting ApiVersion: might be caused by "
       "incorrect security.protocol configuration (connecting to a SSL listener?) or broker "
       "version is < 0.10 (see api.version.request) (after 30ms in state APIVERSION_QUERY)",
       FailureCause::security_protocol_mismatch},
      {"ssl.key.location failed: error:05800074:x509 certificate routines::key values mismatch",
       FailureCause::client_certificate_invalid},
      {"Broker: Topic authorization failed", FailureCause::authorization_failed},
      {"127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms "
       "in state CONNECT)",
       FailureCause::connection_refused},
      {"nowhere.invalid:9092/bootstrap: Failed to resolve 'nowhere.invalid:9092': Name or "
       "service not known",
       FailureCause::name_resolution_failed},
      {"127.0.0.1:23410/1: Disconnected (after 600012ms in state UP)", FailureCause::none},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    CHECK(classify_failure(c.text) == c.cause);
  }
  CHECK(ks::kafka::cause_words(FailureCause::authentication_failed) == "authentication failed");
  CHECK(ks::kafka::cause_words(FailureCause::certificate_verify_failed) == "certificate verify failed");
  CHECK(ks::kafka::cause_label(FailureCause::none) == "none");
  CHECK(ks::kafka::is_security_failure(FailureCause::client_certificate_rejected));
  CHECK_FALSE(ks::kafka::is_security_failure(FailureCause::connection_refused));
}

TEST_CASE("failure note: names the cause in words, with what to check", "[kafka][failure-cause]") {
  ks::kafka::FailureNote note;
  CHECK(note.describe().empty());
  CHECK(note.cause() == FailureCause::none);
  const std::string text = "sasl_ssl://h:1/bootstrap: SASL authentication error: Authentication "
                           "failed: Invalid username or password";
  note.record(text, classify_failure(text));
  CHECK(note.cause() == FailureCause::authentication_failed);
  const std::string described = note.describe();
  CHECK(described.starts_with("authentication failed (check sasl.mechanism, sasl.username and "
                              "sasl.password"));
  CHECK(described.find(text) != std::string::npos);
  CHECK(described.ends_with("(0 s ago)"));
}

TEST_CASE("secret properties: their values are never repeated", "[kafka][failure-cause]") {
  for (const char* name : {"sasl.password", "ssl.key.password", "ssl.keystore.password",
                           "ssl.key.pem", "sasl.oauthbearer.client.secret", "sasl.jaas.config",
                           "sasl.oauthbearer.config"}) {
    INFO(name);
    CHECK(ks::kafka::is_secret_property(name));
    CHECK(ks::kafka::shown_value(name, "hunter2") == "[redacted]");
  }
  for (const char* name : {"sasl.username", "security.protocol", "ssl.ca.location"}) {
    INFO(name);
    CHECK_FALSE(ks::kafka::is_secret_property(name));
    CHECK(ks::kafka::shown_value(name, "x") == "x");
  }
  CHECK(ks::kafka::redact_value("bad value \"s3cr3t\" (s3cr3t)", "sasl.password", "s3cr3t") ==
        "bad value \"[redacted]\" ([redacted])");
}
