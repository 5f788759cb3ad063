// The JSON API's views (exporters/json/) from hand-built snapshots: field names, values,
// unknowns as null, times in RFC 3339.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "api_fixtures.hpp"
#include "exporters/json/cluster_view.hpp"
#include "exporters/json/events_view.hpp"
#include "exporters/json/groups_view.hpp"
#include "exporters/json/topics_view.hpp"

using nlohmann::json;

TEST_CASE("api: the cluster view has the brokers up and down and the partition totals", "[api]") {
  const json c = ks::api::cluster_json(ks::testing::api_cluster_fixture());
  CHECK(c["taken_at"] == "2026-12-07T02:00:00.250Z");
  CHECK(c["cluster_id"] == "abc-cluster");
  CHECK(c["up"] == true);
  CHECK(c["error"].is_null());
  CHECK(c["controller_id"] == 1);
  CHECK(c["brokers_up"] == 1);
  CHECK(c["brokers_in_metadata"] == 1);
  CHECK(c["topics"] == 2);
  CHECK(c["partitions"] == 3);
  CHECK(c["offline_partitions"] == 1);
  CHECK(c["under_replicated_partitions"] == 3);
  CHECK(c["under_min_isr_partitions"] == 1);
  REQUIRE(c["brokers"].size() == 2);
  CHECK(c["brokers"][0] == json::parse(R"({"id":1,"host":"127.0.0.1","port":9092,"rack":"a","up":true,
      "in_metadata":true,"last_seen":"2026-12-07T02:00:00.250Z","partitions":3,"leader_partitions":2,
      "offset_request_failures":0})"));
  CHECK(c["brokers"][1]["up"] == false);
  CHECK(c["brokers"][1]["rack"].is_null());
  CHECK(c["brokers"][1]["last_seen"] == "2026-12-07T01:59:30.250Z");
  CHECK(c["brokers"][1]["offset_request_failures"] == 4);
}

TEST_CASE("api: a cluster that cannot be reached says why and has no controller", "[api]") {
  ks::ClusterSnapshot s;
  s.error = "all brokers down";
  const json c = ks::api::cluster_json(s);
  CHECK(c["up"] == false);
  CHECK(c["error"] == "all brokers down");
  CHECK(c["controller_id"].is_null());
  CHECK(c["taken_at"].is_null());
  CHECK(c["brokers"] == json::array());
}

TEST_CASE("api: the topics view has leaders, replicas, ISR, watermarks and health", "[api]") {
  const json list = ks::api::topics_json(ks::testing::api_cluster_fixture(), false);
  REQUIRE(list["topics"].size() == 2);
  const json& orders = list["topics"][0];
  CHECK(orders["topic"] == "orders");
  CHECK(orders["partition_count"] == 2);
  CHECK(orders["messages_in_per_second"] == 12.346);
  CHECK(orders["messages"].is_null());  // one partition has no watermarks
  CHECK(orders["min_insync_replicas"] == 1);
  CHECK(orders["offline_partitions"] == 1);
  CHECK(orders["under_replicated_partitions"] == 2);
  CHECK(orders["under_min_isr_partitions"] == 1);
  CHECK_FALSE(orders.contains("partitions"));
  CHECK(list["topics"][1]["messages"] == 50);

  const json detail = ks::api::topic_json(ks::testing::api_cluster_fixture().topics[0], true);
  REQUIRE(detail["partitions"].size() == 2);
  CHECK(detail["partitions"][0] == json::parse(R"({"partition":0,"leader":1,"replicas":[1,2],"isr":[1],
      "log_start_offset":20,"log_end_offset":120,"offline":false,"under_replicated":true,
      "under_min_isr":false,"leader_is_preferred":true,"error_code":0})"));
  const json& offline = detail["partitions"][1];
  CHECK(offline["leader"].is_null());
  CHECK(offline["replicas"] == json::array({2}));
  CHECK(offline["isr"] == json::array());
  CHECK(offline["log_end_offset"].is_null());
  CHECK(offline["offline"] == true);
  CHECK(offline["error_code"] == 5);
}

TEST_CASE("api: the groups view has per partition offsets, lag, lag seconds and status", "[api]") {
  const json list = ks::api::groups_json(ks::testing::api_groups_fixture(), false);
  CHECK(list["taken_at"] == "2026-12-07T02:00:00.250Z");
  REQUIRE(list["groups"].size() == 2);
  const json& g = list["groups"][0];
  CHECK(g["group"] == "orders-app");
  CHECK(g["state"] == "Stable");
  CHECK(g["members"] == 2);
  CHECK(g["protocol"] == "range");
  CHECK(g["status"] == "WARN");
  CHECK(g["lag"] == 30);
  CHECK(g["max_lag_seconds"] == 12.5);
  CHECK(g["expired"] == 7);
  CHECK(g["topic_count"] == 1);
  CHECK(g["partition_count"] == 3);
  CHECK_FALSE(g.contains("topics"));
  CHECK(list["groups"][1]["max_lag_seconds"].is_null());
  CHECK(list["groups"][1]["status"] == "OK");

  const ks::GroupsSnapshot fixture = ks::testing::api_groups_fixture();
  const json detail = ks::api::group_json(fixture, fixture.groups[0], true);
  REQUIRE(detail["topics"].size() == 1);
  const json& t = detail["topics"][0];
  CHECK(t["topic"] == "orders");
  CHECK(t["lag"] == 30);
  CHECK(t["catch_up_seconds"] == 7.5);
  CHECK(t["consumed_per_second"] == 4.0);
  CHECK(t["produced_per_second"].is_null());
  REQUIRE(t["partitions"].size() == 3);
  CHECK(t["partitions"][0] == json::parse(R"({"partition":0,"current_offset":100,"log_start_offset":0,
      "log_end_offset":110,"lag":10,"lag_seconds":12.5,"lag_seconds_lower_bound":false,"expired":0,
      "status":"WARN"})"));
  CHECK(t["partitions"][1]["expired"] == 7);
  CHECK(t["partitions"][1]["lag_seconds"].is_null());
  CHECK(t["partitions"][2]["lag"].is_null());
  CHECK(t["partitions"][2]["log_end_offset"].is_null());
  CHECK(t["partitions"][2]["status"] == "NOTFOUND");
}

TEST_CASE("api: a group that could not be described has no member count", "[api]") {
  ks::GroupLag g;
  g.name = "kip848";
  g.described = false;
  g.describe_error = "GROUP_ID_NOT_FOUND";
  g.offsets_fetched = false;
  g.offsets_error = "timed out";
  const json j = ks::api::group_json(ks::GroupsSnapshot{}, g, true);
  CHECK(j["members"].is_null());
  CHECK(j["describe_error"] == "GROUP_ID_NOT_FOUND");
  CHECK(j["offsets_error"] == "timed out");
  CHECK(j["topics"] == json::array());
}

TEST_CASE("api: the events view lists firing conditions and recent transitions, newest first", "[api]") {
  ks::HealthEventsSnapshot s;
  s.taken_at = ks::testing::api_fixture_time();
  ks::HealthEvent down;
  down.id = "e1";
  down.type = "io.kafka-sentinel.broker.down";
  down.subject = "broker/2";
  down.severity = ks::Severity::critical;
  down.summary = "broker 2 (127.0.0.1:9093) is down";
  down.time = ks::testing::api_fixture_time();
  down.since = down.time - std::chrono::seconds(10);
  down.observed = {{"broker", 2}};
  ks::HealthEvent resolved = down;
  resolved.id = "e0";
  resolved.type = "io.kafka-sentinel.group.lag_status";
  resolved.subject = "group/g";
  resolved.condition = "STALL";
  resolved.state = ks::EventState::resolved;
  resolved.firing_id = "e-old";
  s.firing = {down};
  s.recent = {resolved, down};
  const json j = ks::api::events_json(s);
  CHECK(j["firing_count"] == 1);
  CHECK(j["firing"][0] == json::parse(R"({"id":"e1","type":"io.kafka-sentinel.broker.down","subject":"broker/2",
      "condition":null,"state":"firing","severity":"critical","summary":"broker 2 (127.0.0.1:9093) is down",
      "time":"2026-12-07T02:00:00.250Z","since":"2026-12-07T01:59:50.250Z","observed":{"broker":2},
      "thresholds":{}})"));
  REQUIRE(j["recent"].size() == 2);
  CHECK(j["recent"][0]["id"] == "e1");
  CHECK(j["recent"][1]["state"] == "resolved");
  CHECK(j["recent"][1]["condition"] == "STALL");
  CHECK(j["recent"][1]["firing_id"] == "e-old");
}
