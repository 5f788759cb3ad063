#include "agent/config/kafka_properties.hpp"

#include <librdkafka/rdkafka.h>

#include <array>
#include <memory>
#include <string_view>

namespace ks::config {
namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

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
std::string set_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  std::array<char, 512> error{};
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error.data(), error.size()) ==
      RD_KAFKA_CONF_OK) {
    return "";
  }
  return std::string("librdkafka: ") + error.data();
}

}  // namespace

std::vector<PropertyProblem> check_kafka_properties(const KafkaConfig& kafka) {
  std::vector<PropertyProblem> problems;
  const ConfPtr conf(rd_kafka_conf_new());
  if (std::string problem = set_property(conf.get(), "client.id", kafka.client_id);
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
    if (std::string problem = set_property(conf.get(), name, value); !problem.empty()) {
      problems.push_back({key_path, std::move(problem)});
    }
  }
  return problems;
}

}  // namespace ks::config
