#include "fleet/join_errors.hpp"

#include <fmt/format.h>

#include "core/duration.hpp"

namespace ks::fleet {

std::optional<JoinErrorAdvice> explain_join_error(kafka::ErrorCode code, const std::string& text,
                                                  const FleetConfig& fleet) {
  using kafka::ErrorCode;
  switch (code) {
    case ErrorCode::invalid_session_timeout:
      return JoinErrorAdvice{
          "invalid_session_timeout",
          fmt::format("the brokers refuse fleet.session_timeout {} ({}): it must lie within their "
                      "group.min.session.timeout.ms and group.max.session.timeout.ms (6s and 30m "
                      "unless changed); this agent cannot join the fleet and holds no role until "
                      "it is changed",
                      format_duration(fleet.session_timeout), text)};
    case ErrorCode::group_authorization_failed:
      return JoinErrorAdvice{
          "group_authorization_failed",
          fmt::format("the brokers refuse the fleet's consumer group ({}): its principal needs READ "
                      "on the group{} (docs/security.md); this agent holds no role until then",
                      text, fleet.group.empty() ? "" : " \"" + fleet.group + "\"")};
    case ErrorCode::topic_authorization_failed:
      return JoinErrorAdvice{
          "topic_authorization_failed",
          fmt::format("the brokers refuse the fleet's topic \"{}\" ({}): its principal needs "
                      "DESCRIBE and READ on it (docs/security.md); this agent holds no role until then",
                      fleet.topic, text)};
    default:
      return std::nullopt;
  }
}

}  // namespace ks::fleet
