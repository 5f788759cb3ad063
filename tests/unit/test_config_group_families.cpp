// collectors.groups.granularity and collectors.groups.exclude_families: read, defaulted and
// refused with the key, the line and what was expected.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/config/config_loader.hpp"

using ks::GroupsGranularity;
using ks::config::LoadResult;

namespace {

LoadResult load(std::string_view yaml) {
  return ks::config::load_config_text(yaml, "test.yaml",
                                      [](const std::string&) { return std::nullopt; });
}

std::vector<std::string> problems(const LoadResult& result) {
  std::vector<std::string> out;
  for (const auto& p : result.problems) out.push_back(p.to_string());
  return out;
}

}  // namespace

TEST_CASE("collectors.groups.granularity: partition by default, topic when asked", "[config]") {
  const LoadResult defaults = ks::config::default_config();
  REQUIRE(defaults.ok());
  CHECK(defaults.config.collectors.groups.granularity == GroupsGranularity::partition);
  CHECK(defaults.config.collectors.groups.exclude_families.empty());

  const LoadResult topic = load("collectors:\n  groups:\n    granularity: topic\n");
  REQUIRE(topic.ok());
  CHECK(topic.config.collectors.groups.granularity == GroupsGranularity::topic);
  const LoadResult partition = load("collectors:\n  groups:\n    granularity: partition\n");
  REQUIRE(partition.ok());
  CHECK(partition.config.collectors.groups.granularity == GroupsGranularity::partition);
}

TEST_CASE("collectors.groups.granularity: anything else names the key and the line", "[config]") {
  CHECK(problems(load("collectors:\n  groups:\n    interval: 5s\n    granularity: group\n")) ==
        std::vector<std::string>{"test.yaml:4: collectors.groups.granularity: expected partition "
                                 "or topic, got \"group\""});
  CHECK(problems(load("collectors:\n  groups:\n    granularity: [topic]\n")) ==
        std::vector<std::string>{
            "test.yaml:3: collectors.groups.granularity: expected a string, got a sequence"});
}

TEST_CASE("collectors.groups.exclude_families: a list of family names", "[config]") {
  const LoadResult result = load(
      "collectors:\n  groups:\n    exclude_families:\n      - kafka_consumergroup_lag_seconds\n"
      "      - kafka_consumergroup_status_partitions\n");
  INFO(problems(result).size());
  REQUIRE(result.ok());
  CHECK(result.config.collectors.groups.exclude_families ==
        std::vector<std::string>{"kafka_consumergroup_lag_seconds",
                                 "kafka_consumergroup_status_partitions"});
}

TEST_CASE("collectors.groups.exclude_families: an unknown family names the item and its line",
          "[config]") {
  // A typo gets the nearest family; a name far from all of them, where to look.
  CHECK(problems(load("collectors:\n  groups:\n    exclude_families:\n"
                      "      - kafka_consumergroup_lag_seconds\n"
                      "      - kafka_consumergroup_lag_secnods\n"
                      "      - kafka_topic_partitions\n")) ==
        std::vector<std::string>{
            "test.yaml:5: collectors.groups.exclude_families[1]: unknown family "
            "\"kafka_consumergroup_lag_secnods\" (did you mean \"kafka_consumergroup_lag_seconds\"?)",
            "test.yaml:6: collectors.groups.exclude_families[2]: unknown family "
            "\"kafka_topic_partitions\" (the kafka_consumergroup_* families of docs/metrics.md)"});
  CHECK(problems(load("collectors:\n  groups:\n    exclude_families: kafka_consumergroup_lag\n")) ==
        std::vector<std::string>{"test.yaml:3: collectors.groups.exclude_families: expected a "
                                 "list, got \"kafka_consumergroup_lag\""});
}
