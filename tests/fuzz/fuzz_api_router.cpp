// libFuzzer target: the JSON API's router (agent/api_router.hpp) over fixed snapshots (a
// cluster and two groups), without HTTP. Each input is a decoded path (up to the first '\n'),
// then query parameters "key=value" separated by '&'. Properties: the router never throws;
// the status is 200, 400, 404 or 503; the body is JSON (invalid UTF-8 replaced) with
// "error" and the same "status" unless 200; an error body stays under 1 KB however large
// the input (nothing is echoed back whole).
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "agent/api_router.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

ks::ClusterSnapshot cluster() {
  ks::ClusterSnapshot s;
  s.taken_at = std::chrono::system_clock::now();
  s.up = true;
  s.cluster_id = "fuzz";
  s.brokers = {ks::BrokerState{1, "127.0.0.1", 9092, "", true, true, s.taken_at, 1, 1, 0}};
  ks::TopicState t;
  t.name = "orders";
  t.replica_ids = {1, 1};
  t.partitions = {ks::PartitionState{0, 1, 0, 1, 1, 10, 0, 0, false, false, false, true}};
  s.topics = {t};
  return s;
}

ks::GroupsSnapshot groups() {
  ks::GroupsSnapshot s;
  s.taken_at = std::chrono::system_clock::now();
  for (const char* name : {"g", "team/a b"}) {
    ks::GroupLag g;
    g.name = name;
    ks::GroupTopicLag t;
    t.topic = "orders";
    t.partitions = {ks::GroupPartitionLag{.partition = 0,
                                          .committed = 5,
                                          .low_watermark = 0,
                                          .high_watermark = 10,
                                          .lag_since_steady_ms = ks::lag_since::for_age(1.0),
                                          .status = ks::LagStatus::ok}};
    g.topics = {t};
    s.groups.push_back(g);
  }
  return s;
}

ks::ApiRouter& router() {
  static ks::Snapshots snapshots;
  static ks::ApiRouter instance = [] {
    snapshots.cluster.publish(std::make_shared<const ks::ClusterSnapshot>(cluster()));
    snapshots.groups.publish(std::make_shared<const ks::GroupsSnapshot>(groups()));
    ks::ApiSources sources;
    sources.snapshots = &snapshots;
    sources.events_enabled = true;  // no evaluation published: 503
    return ks::ApiRouter(sources);
  }();
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ks::fuzz::ByteReader in(data, size);
  ks::ApiRequest request;
  request.path = std::string(in.until('\n'));
  while (!in.empty()) {
    const std::string pair(in.until('&'));
    const std::size_t eq = pair.find('=');
    request.params.emplace_back(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
  }
  ks::ApiResponse response;
  try {
    response = router().handle(request);
  } catch (...) {
    KS_FUZZ_CHECK(!"the router threw");
  }
  const int status = response.status;
  KS_FUZZ_CHECK(status == 200 || status == 400 || status == 404 || status == 503);
  const nlohmann::json body = nlohmann::json::parse(response.body(), nullptr, false);
  KS_FUZZ_CHECK(!body.is_discarded() && body.is_object());
  if (status != 200) {
    KS_FUZZ_CHECK(body.contains("error") && body["error"].is_string());
    KS_FUZZ_CHECK(body.value("status", 0) == status);
    KS_FUZZ_CHECK(response.size() < 1024);
  }
  return 0;
}
