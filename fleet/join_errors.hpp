#pragma once
// Why the fleet's consumer cannot join its group, in the operator's terms.
//
// librdkafka reports a refused JoinGroup as an error event on the consumer and keeps
// retrying; most such errors pass by themselves (a coordinator moving, a broker restarting),
// but some never will until the operator changes something: the brokers refuse the
// configured session timeout, or an ACL refuses the group or the topic. Those must not stay
// in a debug line while the agent silently never gets a role.

#include <optional>
#include <string>

#include "core/config.hpp"
#include "kafka/errors.hpp"

namespace ks::fleet {

struct JoinErrorAdvice {
  std::string kind;     // metric label: "invalid_session_timeout", "group_authorization_failed", ...
  std::string message;  // the log line (and /api/v1/agents' fleet.join_error): what to change
};

// Advice for an error the fleet's consumer reported, or nothing when the error is one that
// goes away by itself (logged at debug level only).
std::optional<JoinErrorAdvice> explain_join_error(kafka::ErrorCode code, const std::string& text,
                                                  const FleetConfig& fleet);

}  // namespace ks::fleet
