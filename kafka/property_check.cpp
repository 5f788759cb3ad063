#include "kafka/property_check.hpp"

#include <librdkafka/rdkafka.h>

#include <array>

#include "kafka/detail/handles.hpp"
#include "kafka/secret_properties.hpp"

namespace ks::kafka {

struct PropertyCheck::Conf {
  ConfPtr conf{rd_kafka_conf_new()};
};

PropertyCheck::PropertyCheck() : conf_(std::make_unique<Conf>()) {}
PropertyCheck::~PropertyCheck() = default;

std::string PropertyCheck::set(const std::string& name, const std::string& value) {
  std::array<char, 512> error{};
  if (rd_kafka_conf_set(conf_->conf.get(), name.c_str(), value.c_str(), error.data(),
                        error.size()) == RD_KAFKA_CONF_OK) {
    return "";
  }
  return redact_value(error.data(), name, value);
}

}  // namespace ks::kafka
