#include "agent/config/kafka_properties.hpp"

#include <array>
#include <string_view>

#include "kafka/property_check.hpp"

namespace ks::config {
namespace {

struct OwnedProperty {
  std::string_view name;
  std::string_view config_key;
};

// metadata.broker.list is librdkafka's alias of bootstrap.servers.
constexpr std::array<OwnedProperty, 3> kOwnedProperties{{
    {"bootstrap.servers", "kafka.bootstrap_servers"},
    {"metadata.broker.list", "kafka.bootstrap_servers"},
    {"client.id", "kafka.client_id"},
}};

// "" when librdkafka accepts name=value.
std::string set_property(kafka::PropertyCheck& check, const std::string& name,
                         const std::string& value) {
  std::string problem = check.set(name, value);
  return problem.empty() ? problem : "librdkafka: " + problem;
}

}  // namespace

std::vector<PropertyProblem> check_kafka_properties(const KafkaConfig& kafka) {
  std::vector<PropertyProblem> problems;
  kafka::PropertyCheck check;
  if (std::string problem = set_property(check, "client.id", kafka.client_id);
      !problem.empty()) {
    problems.push_back({"kafka.client_id", std::move(problem)});
  }
  for (const auto& [name, value] : kafka.properties) {
    const std::string key_path = "kafka.properties." + name;
    bool owned = false;
    for (const OwnedProperty& property : kOwnedProperties) {
      if (name != property.name) continue;
      problems.push_back({key_path, "\"" + name + "\" is set by the agent from " +
                                        std::string(property.config_key) +
                                        "; set it there instead"});
      owned = true;
    }
    if (owned) continue;
    if (std::string problem = set_property(check, name, value); !problem.empty()) {
      problems.push_back({key_path, std::move(problem)});
    }
  }
  return problems;
}

}  // namespace ks::config
