// The JSON API's router (agent/api_router.hpp) over hand-built snapshots: the snapshot's
// age in every answer, the cache per snapshot version, 404 and 400 with JSON errors, and a
// list of hostile inputs that are all answered, never thrown on, with bounded bodies.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "agent/api_router.hpp"
#include "api_fixtures.hpp"
#include "fleet/shard_hash.hpp"

using nlohmann::json;

namespace {

struct Fixture {
  ks::Snapshots snapshots;
  ks::ApiRouter router;

  explicit Fixture(ks::ApiSources sources = {}) : router(with_snapshots(sources)) {}
  ks::ApiSources with_snapshots(ks::ApiSources sources) {
    sources.snapshots = &snapshots;
    // 1.5 s after the fixtures' snapshots were taken.
    sources.now = [] { return ks::testing::api_fixture_time() + std::chrono::milliseconds(1500); };
    return sources;
  }
  void publish() {
    snapshots.cluster.publish(std::make_shared<const ks::ClusterSnapshot>(ks::testing::api_cluster_fixture()));
    snapshots.groups.publish(std::make_shared<const ks::GroupsSnapshot>(ks::testing::api_groups_fixture()));
  }
  ks::ApiResponse get(const std::string& path,
                      std::vector<std::pair<std::string, std::string>> params = {}) {
    return router.handle({path, std::move(params)});
  }
};

json body_of(const ks::ApiResponse& r) { return json::parse(r.body()); }

}  // namespace

TEST_CASE("api router: every answer says how old its snapshot is", "[api]") {
  Fixture f;
  f.publish();
  for (const char* path : {"/api/v1/cluster", "/api/v1/topics", "/api/v1/topics/orders",
                           "/api/v1/groups", "/api/v1/groups/orders-app"}) {
    INFO(path);
    const ks::ApiResponse r = f.get(path);
    REQUIRE(r.status == 200);
    const json j = body_of(r);
    CHECK(j["snapshot_age_seconds"] == 1.5);
    CHECK(j["taken_at"] == "2026-12-07T02:00:00.250Z");
  }
  CHECK(body_of(f.get("/api/v1/cluster"))["cluster_id"] == "abc-cluster");
  CHECK(body_of(f.get("/api/v1/groups/orders-app"))["topics"][0]["partitions"].size() == 3);
  CHECK_FALSE(body_of(f.get("/api/v1/groups"))["groups"][0].contains("topics"));
  CHECK(body_of(f.get("/api/v1/groups", {{"partitions", "true"}}))["groups"][0].contains("topics"));
  CHECK_FALSE(body_of(f.get("/api/v1/topics/orders", {{"partitions", "false"}})).contains("partitions"));
}

TEST_CASE("api router: before the first snapshot the answer is 503 saying which collector", "[api]") {
  Fixture f;
  const ks::ApiResponse groups = f.get("/api/v1/groups");
  CHECK(groups.status == 503);
  CHECK_THAT(body_of(groups)["error"].get<std::string>(), Catch::Contains("groups collector"));
  CHECK(f.get("/api/v1/cluster").status == 503);
  CHECK(f.get("/api/v1/topics/orders").status == 503);
}

TEST_CASE("api router: the big lists are rendered once per snapshot version", "[api]") {
  Fixture f;
  f.publish();
  const ks::ApiResponse first = f.get("/api/v1/groups");
  const ks::ApiResponse second = f.get("/api/v1/groups");
  REQUIRE(first.tail);
  CHECK(first.tail == second.tail);  // the same cached body, not a new render
  f.snapshots.groups.publish(std::make_shared<const ks::GroupsSnapshot>(ks::testing::api_many_groups(3, 2)));
  const ks::ApiResponse third = f.get("/api/v1/groups");
  CHECK(third.tail != first.tail);
  CHECK(body_of(third)["groups"].size() == 3);
  // The partitions variant has its own cache.
  CHECK(f.get("/api/v1/groups", {{"partitions", "1"}}).tail != third.tail);
}

TEST_CASE("api router: unknown group, topic or endpoint is 404 with a JSON error", "[api]") {
  Fixture f;
  f.publish();
  const ks::ApiResponse group = f.get("/api/v1/groups/nope");
  CHECK(group.status == 404);
  CHECK(body_of(group)["error"] == "no consumer group 'nope' in the latest snapshot");
  CHECK(body_of(group)["group"] == "nope");
  const ks::ApiResponse topic = f.get("/api/v1/topics/nope");
  CHECK(topic.status == 404);
  CHECK(body_of(topic)["topic"] == "nope");
  CHECK(f.get("/api/v1/brokers").status == 404);
  CHECK(f.get("/api/v2/cluster").status == 404);
  CHECK(f.get("/api/v1/cluster/extra").status == 404);
  CHECK(f.get("/api/v1/events").status == 404);  // events disabled: no source
}

TEST_CASE("api router: malformed paths and query parameters are 400 naming the problem", "[api]") {
  Fixture f;
  f.publish();
  auto error_of = [&](const std::string& path, std::vector<std::pair<std::string, std::string>> params = {}) {
    const ks::ApiResponse r = f.get(path, std::move(params));
    CHECK(r.status == 400);
    return body_of(r)["error"].get<std::string>();
  };
  CHECK(error_of("/api/v1/groups", {{"partitions", "maybe"}}) ==
        "query parameter 'partitions' must be true or false, got 'maybe'");
  CHECK(error_of("/api/v1/groups", {{"sort", "lag"}}) ==
        "unknown query parameter 'sort' (this endpoint takes: partitions)");
  CHECK(error_of("/api/v1/cluster", {{"partitions", "true"}}) ==
        "unknown query parameter 'partitions' (this endpoint takes none)");
  CHECK(error_of("/api/v1/groups", {{"partitions", "1"}, {"partitions", "0"}}) ==
        "query parameter 'partitions' given twice");
  CHECK_THAT(error_of("/api/v1/topics/bad name"), Catch::StartsWith("not a valid Kafka topic name: 'bad name'"));
  CHECK(error_of("/api/v1/groups/") == "empty group name in the path");
  CHECK(error_of("/api/v1//cluster") == "empty path segment in '/api/v1//cluster'");
  CHECK(error_of(std::string("/api/v1/groups/a\0b", 18)) == "path has a control character at byte 16");
}

TEST_CASE("api router: hostile inputs are answered with a bounded error, never thrown on", "[api]") {
  Fixture f;
  f.publish();
  const std::string huge(100000, 'a');
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> inputs = {
      {"/api/v1/groups/" + huge, {}},
      {"/api/v1/topics/" + huge, {}},
      {"/api/v1/" + std::string(3000, '/'), {}},
      {"/api/v1/groups/%00%ff%fe%2e%2e", {}},
      {"/api/v1/groups/\xff\xfe\xc3\x28", {}},  // invalid UTF-8
      {"/api/v1/topics/\xc3\x28", {}},
      {"/api/v1/groups/../../etc/passwd", {}},
      {"/api/v1/topics/../cluster", {}},
      {"/api/v1/topics/..", {}},
      {std::string("/api/v1/cluster\0/x", 18), {}},
      {"/api/v1/groups/\r\nSet-Cookie: x=y", {}},
      {"/api/v1/groups", {{huge, "1"}}},
      {"/api/v1/groups", {{"partitions", huge}}},
      {"/api/v1/groups", std::vector<std::pair<std::string, std::string>>(1000, {"partitions", "1"})},
      {"/api/v1/groups", {{"partitions", std::string("tr\0ue", 5)}}},
      {"/api/v1/groups", {{"\xff\xfe", "\xc3\x28"}}},
      {"/api/v1/" + huge, {}},
      {"", {}},
      {"/", {}},
      {"/api", {}},
      {"/api/v1x", {}},
  };
  for (const auto& [path, params] : inputs) {
    INFO(path.substr(0, 60) << " (" << path.size() << " bytes, " << params.size() << " params)");
    ks::ApiResponse r;
    REQUIRE_NOTHROW(r = f.get(path, params));
    CHECK((r.status == 400 || r.status == 404));
    CHECK(r.size() < 1024);  // a huge input is not echoed back
    const json j = body_of(r);  // valid JSON, invalid UTF-8 replaced
    CHECK(j["error"].is_string());
    CHECK(j["status"] == r.status);
  }
  // A group name with '/' and odd bytes is still a name: found when it exists.
  ks::GroupsSnapshot odd = ks::testing::api_groups_fixture();
  odd.groups[1].name = "team/a b%\xff";
  f.snapshots.groups.publish(std::make_shared<const ks::GroupsSnapshot>(odd));
  const ks::ApiResponse r = f.get("/api/v1/groups/team/a b%\xff");
  CHECK(r.status == 200);
  CHECK(body_of(r)["group"] == "team/a b%\xEF\xBF\xBD");  // U+FFFD replaces the bad byte
}

TEST_CASE("api router: in a fleet, a group of another agent's shard says so", "[api]") {
  ks::ApiSources sources;
  sources.ownership = [] {
    ks::fleet::OwnedShards owned;
    owned.partitions = 4;
    owned.owned = {true, false, false, false};
    return owned;
  };
  sources.fleet_members = [] {
    return std::vector<ks::fleet::FleetMember>{{"node-a", "/127.0.0.1", {0}, "http://node-a:9742"},
                                               {"node-b", "/127.0.0.2", {1, 2, 3}, "https://node-b:9742"}};
  };
  Fixture f(sources);
  f.publish();
  std::string foreign;
  for (int i = 0; foreign.empty(); ++i) {
    const std::string name = "g" + std::to_string(i);
    if (ks::fleet::shard_of(name, 4) != 0) foreign = name;
  }
  const ks::ApiResponse r = f.get("/api/v1/groups/" + foreign);
  CHECK(r.status == 404);
  const json j = body_of(r);
  CHECK(j["owned_here"] == false);
  CHECK(j["fleet_shard"] == ks::fleet::shard_of(foreign, 4));
  CHECK(j["owner"] == json::parse(R"({"node":"node-b","host":"/127.0.0.2","url":"https://node-b:9742"})"));
  CHECK(f.get("/api/v1/cluster").status == 200);  // leader: owns partition 0
}

// Where the stream is the source, a group's shard is its __consumer_offsets partition mod P
// (the groups collector's mapping): the API must name the same shard and owner.
TEST_CASE("api router: in a fleet sharded by offsets partition, the owner is the collector's",
          "[api]") {
  ks::ApiSources sources;
  sources.ownership = [] {
    ks::fleet::OwnedShards owned;
    owned.partitions = 4;
    owned.owned = {true, false, false, false};
    owned.sharding = ks::fleet::GroupSharding::offsets_partition;
    owned.offsets_partitions = 50;
    return owned;
  };
  sources.fleet_members = [] {
    return std::vector<ks::fleet::FleetMember>{{"node-a", "/127.0.0.1", {0, 1}},
                                               {"node-b", "/127.0.0.2", {2, 3}}};
  };
  Fixture f(sources);
  f.publish();
  using ks::fleet::GroupSharding;
  // A group whose two mappings disagree on the owner: the name hash would name the other one.
  std::string foreign;
  for (int i = 0; foreign.empty(); ++i) {
    const std::string name = "g" + std::to_string(i);
    const int by_offsets = ks::fleet::group_shard(name, GroupSharding::offsets_partition, 4, 50);
    const int by_name = ks::fleet::group_shard(name, GroupSharding::name_hash, 4, 50);
    if (by_offsets >= 2 && by_name < 2) foreign = name;
  }
  const ks::ApiResponse r = f.get("/api/v1/groups/" + foreign);
  CHECK(r.status == 404);
  const json j = body_of(r);
  CHECK(j["fleet_shard"] == ks::fleet::group_shard(foreign, GroupSharding::offsets_partition, 4, 50));
  CHECK(j["owner"] == json::parse(R"({"node":"node-b","host":"/127.0.0.2","url":null})"));
}

TEST_CASE("api router: events answer from the pipeline's latest evaluation when enabled", "[api]") {
  ks::ApiSources sources;
  sources.events_enabled = true;
  Fixture f(sources);
  CHECK(f.get("/api/v1/events").status == 503);  // no evaluation yet
  auto health = std::make_shared<ks::HealthEventsSnapshot>();
  health->taken_at = ks::testing::api_fixture_time();
  ks::HealthEvent e;
  e.id = "x";
  e.summary = "broker 2 is down";
  health->firing = {e};
  f.snapshots.health.publish(health);
  const ks::ApiResponse r = f.get("/api/v1/events");
  REQUIRE(r.status == 200);
  const json j = body_of(r);
  CHECK(j["snapshot_age_seconds"] == 1.5);
  CHECK(j["firing"][0]["summary"] == "broker 2 is down");
  CHECK(f.get("/api/v1/events", {{"partitions", "1"}}).status == 400);
}
