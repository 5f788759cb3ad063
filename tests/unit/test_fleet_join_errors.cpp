// A fleet consumer that the brokers refuse for a reason that will not pass by itself must
// say so (fleet/join_errors.hpp); before this, "JoinGroup failed: Broker: Invalid session
// timeout" was a debug line and the agent silently held no role.
#include <catch2/catch.hpp>

#include <string>

#include "fleet/fleet_metrics.hpp"
#include "fleet/join_errors.hpp"

using ks::fleet::explain_join_error;
using ks::kafka::ErrorCode;

TEST_CASE("a refused session timeout names the option, its value and the brokers' bounds", "[fleet]") {
  ks::FleetConfig fleet;
  fleet.session_timeout = std::chrono::seconds(2);
  const auto advice =
      explain_join_error(ErrorCode::invalid_session_timeout, "JoinGroup failed: Broker: Invalid session timeout", fleet);
  REQUIRE(advice);
  CHECK(advice->kind == "invalid_session_timeout");
  CHECK(advice->message.find("fleet.session_timeout 2s") != std::string::npos);
  CHECK(advice->message.find("group.min.session.timeout.ms") != std::string::npos);
  CHECK(advice->message.find("Invalid session timeout") != std::string::npos);
}

TEST_CASE("refused ACLs name the group or the topic", "[fleet]") {
  ks::FleetConfig fleet;
  fleet.group = "ops-fleet";
  fleet.topic = "ops-fleet-topic";
  const auto group = explain_join_error(ErrorCode::group_authorization_failed, "x", fleet);
  REQUIRE(group);
  CHECK(group->kind == "group_authorization_failed");
  CHECK(group->message.find("\"ops-fleet\"") != std::string::npos);
  const auto topic = explain_join_error(ErrorCode::topic_authorization_failed, "x", fleet);
  REQUIRE(topic);
  CHECK(topic->message.find("\"ops-fleet-topic\"") != std::string::npos);
}

TEST_CASE("errors that pass by themselves get no advice", "[fleet]") {
  const ks::FleetConfig fleet;
  for (ErrorCode code : {ErrorCode::coordinator_not_available, ErrorCode::not_coordinator,
                         ErrorCode::local_transport, ErrorCode::local_all_brokers_down,
                         ErrorCode::rebalance_in_progress, ErrorCode::unknown_member_id}) {
    CHECK_FALSE(explain_join_error(code, "x", fleet));
  }
}

TEST_CASE("refused joins are counted by kind in kafka_sentinel_fleet_join_errors_total", "[fleet]") {
  ks::FleetConfig fleet;
  ks::fleet::CoordinatorStatus status;
  ks::fleet::OwnedShards owned;
  {
    ks::prom::ExpositionWriter w;
    ks::fleet::render_fleet(fleet, "n1", status, owned, w);
    CHECK(w.finish().find("kafka_sentinel_fleet_join_errors_total{") == std::string::npos);
  }
  status.join_errors["invalid_session_timeout"] = 3;
  ks::prom::ExpositionWriter w;
  ks::fleet::render_fleet(fleet, "n1", status, owned, w);
  CHECK(w.finish().find("kafka_sentinel_fleet_join_errors_total{error=\"invalid_session_timeout\"} 3\n") !=
        std::string::npos);
}
