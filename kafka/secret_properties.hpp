// Which librdkafka properties hold secrets (passwords, private keys, tokens), so that no
// message the agent writes (a refused property, check-config's report) ever repeats their
// values.
#pragma once

#include <string>
#include <string_view>

namespace ks::kafka {

// sasl.password, ssl.key.password, ssl.keystore.password, ssl.key.pem,
// sasl.oauthbearer.client.secret, sasl.oauthbearer.config, sasl.jaas.config, ...
bool is_secret_property(std::string_view name);

// `value` as a message may show it: "[redacted]" for a secret property, else as it is.
std::string shown_value(std::string_view name, std::string_view value);

// `text` with every occurrence of a secret property's value replaced by "[redacted]" (for
// librdkafka's own messages about a property, which may quote the value).
std::string redact_value(std::string text, std::string_view name, std::string_view value);

}  // namespace ks::kafka
