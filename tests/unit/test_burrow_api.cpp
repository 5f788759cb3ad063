// Burrow's v3 API (exporters/burrow/): every endpoint against the bodies a real Burrow 1.9.5
// answered on a real Kafka (tests/fixtures/burrow/, recorded by
// tests/integration/test-burrow-compat.py --record), then the semantics field by field.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "exporters/burrow/burrow_router.hpp"

namespace {

using Json = nlohmann::json;
using ks::LagStatus;

ks::PartitionState partition(std::int32_t id, std::int64_t high) {
  ks::PartitionState p;
  p.id = id;
  p.leader = 1;
  p.low_watermark = 0;
  p.high_watermark = high;
  return p;
}

ks::GroupPartitionLag group_partition(std::int32_t id, std::int64_t committed, std::int64_t lag,
                                      LagStatus status, std::uint16_t commits) {
  ks::GroupPartitionLag p;
  p.partition = id;
  p.committed = committed;
  p.low_watermark = lag >= 0 ? 0 : -1;
  p.high_watermark = lag >= 0 ? committed + lag : -1;  // the row's lag() is `lag`
  p.status = status;
  p.window_commits = commits;
  if (commits > 0) {
    p.first_commit = {committed - 30, lag - 10, 1'700'000'000'000};
    p.last_commit = {committed, lag, 1'700'000'009'000};
  }
  return p;
}

ks::GroupLag group(std::string name, std::vector<ks::GroupPartitionLag> partitions,
                   LagStatus status) {
  ks::GroupLag g;
  g.name = std::move(name);
  g.status = status;
  ks::GroupTopicLag& t = g.topics.emplace_back();
  t.topic = "burrow-topic";
  t.partitions = std::move(partitions);
  return g;
}

// What the agent saw of the cluster the fixtures were recorded on (tests/fixtures/burrow/).
ks::burrow::Sources sources() {
  auto cluster = std::make_shared<ks::ClusterSnapshot>();
  cluster->up = true;
  ks::TopicState& topic = cluster->topics.emplace_back();
  topic.name = "burrow-topic";
  topic.partitions = {partition(0, 500), partition(1, 480), partition(2, 510)};
  auto groups = std::make_shared<ks::GroupsSnapshot>();
  groups->status_window = 3;
  groups->groups.push_back(group("burrow-keeping-up",
                                 {group_partition(0, 500, 0, LagStatus::ok, 3),
                                  group_partition(1, 480, 0, LagStatus::ok, 3),
                                  group_partition(2, 510, 0, LagStatus::ok, 3)},
                                 LagStatus::ok));
  groups->groups.push_back(group("burrow-lagging",
                                 {group_partition(0, 100, 400, LagStatus::warn, 3),
                                  group_partition(1, 120, 360, LagStatus::ok, 2),
                                  group_partition(2, 90, -1, LagStatus::stall, 3)},
                                 LagStatus::err));
  ks::burrow::ClusterModule module;
  module.servers = {"127.0.0.1:9092"};
  module.client_id = "kafka-sentinel";
  module.topic_refresh_seconds = 15;
  module.offset_refresh_seconds = 15;
  return {"local", module, cluster, groups};
}

std::string json_type(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "bool";
  if (v.is_number()) return "number";  // Go writes a float32 1.0 as 1
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

// Differences in shape between ours and Burrow's: keys, JSON types, recursively; null and
// an object stand for each other (Burrow's pointers); arrays against Burrow's first element;
// the objects at `keyed` are maps whose keys are data (topic names).
void shape_diff(const Json& ours, const Json& theirs, const std::string& path,
                const std::string& keyed, std::vector<std::string>& diffs) {
  const std::string a = json_type(ours), b = json_type(theirs);
  if (a == "null" || b == "null") {
    const auto nullable = [](const std::string& t) { return t == "null" || t == "object"; };
    if (!nullable(a) || !nullable(b)) diffs.push_back(path + ": ours " + a + ", Burrow's " + b);
    return;
  }
  if (a != b) {
    diffs.push_back(path + ": ours " + a + ", Burrow's " + b);
    return;
  }
  if (a == "array") {
    const auto model = std::find_if(theirs.begin(), theirs.end(), [](const Json& x) { return !x.is_null(); });
    if (model == theirs.end()) return;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      shape_diff(ours[i], *model, path + "[" + std::to_string(i) + "]", keyed, diffs);
    }
    return;
  }
  if (a != "object") return;
  if (path == keyed) {
    if (theirs.empty()) return;
    for (const auto& [k, v] : ours.items()) shape_diff(v, theirs.begin().value(), path + ".<" + k + ">", keyed, diffs);
    return;
  }
  for (const auto& [k, v] : theirs.items()) {
    if (!ours.contains(k)) diffs.push_back(path + ": key '" + k + "' missing (Burrow has it)");
  }
  for (const auto& [k, v] : ours.items()) {
    if (!theirs.contains(k)) {
      diffs.push_back(path + ": key '" + k + "' not in Burrow's");
    } else {
      shape_diff(v, theirs[k], path + "." + k, keyed, diffs);
    }
  }
}

Json fixture(const std::filesystem::path& file) {
  std::ifstream in(file);
  return Json::parse(in);
}

Json body_of(const ks::burrow::Answer& a) { return Json::parse(a.body); }

ks::burrow::Answer ask(const std::string& path) { return ks::burrow::answer(sources(), path, "h"); }

}  // namespace

TEST_CASE("burrow: every endpoint answers like the recorded Burrow 1.9.5", "[burrow]") {
  const std::filesystem::path dir = std::filesystem::path(KS_FIXTURES_DIR) / "burrow";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 17);  // one per endpoint of tests/lib/ksburrow.py ENDPOINTS
  for (const auto& file : files) {
    const Json recorded = fixture(file);
    const std::string path = recorded["path"];
    INFO(file.filename().string() << ": " << path);
    const ks::burrow::Answer ours = ask(path);
    CHECK(ours.status == recorded["status"].get<int>());
    const std::string type = recorded["content_type"];
    CHECK(ours.content_type.substr(0, ours.content_type.find(';')) == type.substr(0, type.find(';')));
    if (recorded["body"].is_string()) {  // Burrow's plain-text 404 for unknown paths
      CHECK(Json::parse(ours.body) == Json::parse(recorded["body"].get<std::string>()));
      continue;
    }
    const Json body = body_of(ours);
    std::vector<std::string> diffs;
    shape_diff(body, recorded["body"], "$", file.stem() == "consumer_detail" ? "$.topics" : "", diffs);
    for (const auto& d : diffs) UNSCOPED_INFO(d);
    CHECK(diffs.empty());
    CHECK(body["error"] == recorded["body"]["error"]);
    CHECK(body["message"] == recorded["body"]["message"]);
    if (recorded["body"].contains("request")) CHECK(body["request"]["url"] == path);
  }
}

TEST_CASE("burrow: /lag lists every partition, /status those worse than OK", "[burrow]") {
  const Json lag = body_of(ask("/v3/kafka/local/consumer/burrow-lagging/lag"))["status"];
  CHECK(lag["cluster"] == "local");
  CHECK(lag["group"] == "burrow-lagging");
  CHECK(lag["status"] == "ERR");
  CHECK(lag["partition_count"] == 3);
  CHECK(lag["partitions"].size() == 3);
  CHECK(lag["totallag"] == 400 + 360);  // an unknown lag counts as 0
  CHECK(lag["maxlag"]["partition"] == 0);
  CHECK(lag["maxlag"]["current_lag"] == 400);
  // 2 of 3 partitions have a full window: Burrow's group `complete`, a float32.
  CHECK(lag["complete"].get<double>() == Approx(0.667));
  const Json& p1 = lag["partitions"][1];
  CHECK(p1["topic"] == "burrow-topic");
  CHECK(p1["status"] == "OK");
  CHECK(p1["complete"].get<double>() == Approx(0.667));
  CHECK(p1["start"]["offset"] == 90);
  CHECK(p1["end"]["offset"] == 120);
  CHECK(p1["end"]["lag"] == 360);
  CHECK(p1["end"]["timestamp"] == 1'700'000'009'000);
  CHECK(lag["partitions"][0]["complete"].is_number_integer());  // 1, as Go writes 1.0
  CHECK(lag["partitions"][2]["status"] == "STALL");

  const Json status = body_of(ask("/v3/kafka/local/consumer/burrow-lagging/status"))["status"];
  REQUIRE(status["partitions"].size() == 2);
  CHECK(status["partitions"][0]["status"] == "WARN");
  CHECK(status["partitions"][1]["status"] == "STALL");
  CHECK(status["partition_count"] == 3);  // the count is of all, as Burrow's
  CHECK(status["maxlag"] == lag["maxlag"]);

  const Json ok = body_of(ask("/v3/kafka/local/consumer/burrow-keeping-up/status"))["status"];
  CHECK(ok["status"] == "OK");
  CHECK(ok["partitions"].empty());
  CHECK(ok["complete"] == 1);
}

TEST_CASE("burrow: lists, details and the configured cluster name", "[burrow]") {
  CHECK(body_of(ask("/v3/kafka"))["clusters"] == Json::array({"local"}));
  CHECK(body_of(ask("/v3/kafka/local/consumer"))["consumers"] ==
        Json::array({"burrow-keeping-up", "burrow-lagging"}));
  CHECK(body_of(ask("/v3/kafka/local/topic"))["topics"] == Json::array({"burrow-topic"}));
  CHECK(body_of(ask("/v3/kafka/local/topic/burrow-topic"))["offsets"] == Json::array({500, 480, 510}));
  CHECK(body_of(ask("/v3/kafka/local/topic/burrow-topic/consumers"))["consumers"].size() == 2);
  const Json detail = body_of(ask("/v3/kafka/local/consumer/burrow-lagging"))["topics"];
  REQUIRE(detail["burrow-topic"].size() == 3);
  CHECK(detail["burrow-topic"][0]["current-lag"] == 400);
  CHECK(detail["burrow-topic"][0]["offsets"].size() == 2);  // the window's first and last
  CHECK(detail["burrow-topic"][0]["offsets"][1]["offset"] == 100);
  const Json module = body_of(ask("/v3/kafka/local"))["module"];
  CHECK(module["servers"] == Json::array({"127.0.0.1:9092"}));
  CHECK(module["offset-refresh"] == 15);

  ks::burrow::Sources renamed = sources();
  renamed.cluster = "prod";
  CHECK(ks::burrow::answer(renamed, "/v3/kafka/prod/consumer", "h").status == 200);
  CHECK(ks::burrow::answer(renamed, "/v3/kafka/local/consumer", "h").status == 404);
  CHECK(Json::parse(ks::burrow::answer(renamed, "/v3/kafka", "h").body)["clusters"] ==
        Json::array({"prod"}));
}

TEST_CASE("burrow: unknown names are 404 with Burrow's bodies; before a first cycle, empty lists",
          "[burrow]") {
  const auto status_of = [](const std::string& path) { return ask(path).status; };
  CHECK(status_of("/v3/kafka/other") == 404);
  CHECK(body_of(ask("/v3/kafka/other"))["message"] == "cluster module not found");
  CHECK(body_of(ask("/v3/kafka/other/consumer"))["message"] == "cluster not found");
  CHECK(body_of(ask("/v3/kafka/local/topic/nope"))["message"] == "cluster or topic not found");
  CHECK(body_of(ask("/v3/kafka/local/consumer/nope"))["error"] == true);
  const Json missing = body_of(ask("/v3/kafka/local/consumer/nope/lag"));
  CHECK(missing["error"] == false);
  CHECK(missing["status"]["status"] == "NOTFOUND");
  CHECK(status_of("/v3/kafka/local/consumer/nope/status") == 404);

  const ks::burrow::Sources empty{"local", {}, nullptr, nullptr};
  CHECK(Json::parse(ks::burrow::answer(empty, "/v3/kafka/local/consumer", "h").body)["consumers"] ==
        Json::array());
  CHECK(ks::burrow::answer(empty, "/v3/kafka/local/consumer/burrow-lagging/lag", "h").status == 404);
}

TEST_CASE("burrow: paths that are no route of the API are Burrow's plain 404", "[burrow]") {
  for (const std::string& path : std::vector<std::string>{"/v3/kafkaX", "/v3/kafka//consumer", "/v3/kafka/local/consumer/g/lag/more",
        "/v3/kafka/local/nothing", "/v3/kafka/local/consumer/g/nonsense", "/v3/config",
        "/v3/kafka/local/topic/t/x", "/v3/kafka/local" + std::string(8000, '/')}) {
    INFO(path.substr(0, 60));
    const ks::burrow::Answer a = ask(path);
    CHECK(a.status == 404);
    CHECK(a.content_type.rfind("text/plain", 0) == 0);
    CHECK(Json::parse(a.body)["message"] == "invalid request type");
  }
  // A name with bytes that are not UTF-8 is still answered (replaced), never a failure.
  const ks::burrow::Answer odd = ask("/v3/kafka/local/consumer/\xff\xfe/lag");
  CHECK(odd.status == 404);
  CHECK_NOTHROW(Json::parse(odd.body));
}

TEST_CASE("burrow: owner and client_id name the member a partition is assigned to", "[burrow]") {
  ks::burrow::Sources s = sources();
  auto groups = std::make_shared<ks::GroupsSnapshot>(*s.groups);
  // (the copy shares its rows with the original: this one is changed, so replaced first)
  ks::GroupRows rows;
  for (const ks::GroupLag& g : groups->groups) rows.push_back(g);
  groups->groups = std::move(rows);
  ks::GroupLag& lagging = groups->groups.at(1);
  lagging.assignees = {{"consumer-1", "/10.0.0.5"}};
  lagging.topics[0].partitions[0].assignee = 0;  // partition 1 and 2: no member known
  s.groups = groups;
  const Json lag = Json::parse(ks::burrow::answer(s, "/v3/kafka/local/consumer/burrow-lagging/lag", "h").body);
  const Json& partitions = lag["status"]["partitions"];
  REQUIRE(partitions.size() == 3);
  CHECK(partitions[0]["owner"] == "/10.0.0.5");
  CHECK(partitions[0]["client_id"] == "consumer-1");
  CHECK(partitions[1]["owner"] == "");
  CHECK(partitions[1]["client_id"] == "");
  CHECK(lag["status"]["maxlag"]["client_id"] == "consumer-1");  // partition 0 lags most
  const Json detail = Json::parse(ks::burrow::answer(s, "/v3/kafka/local/consumer/burrow-lagging", "h").body);
  CHECK(detail["topics"]["burrow-topic"][0]["owner"] == "/10.0.0.5");
  CHECK(detail["topics"]["burrow-topic"][0]["client_id"] == "consumer-1");
  CHECK(detail["topics"]["burrow-topic"][2]["client_id"] == "");
}
