// librdkafka is the judge of which client property names and values are valid: a scratch
// configuration (no client, no I/O) tells a typo at startup instead of at first connect.
#pragma once

#include <memory>
#include <string>

namespace ks::kafka {

class PropertyCheck {
 public:
  PropertyCheck();
  ~PropertyCheck();
  PropertyCheck(const PropertyCheck&) = delete;
  PropertyCheck& operator=(const PropertyCheck&) = delete;

  // Sets name=value on the scratch configuration: "" when accepted, else librdkafka's
  // reason. Properties are set one after the other on one configuration, as a client's are.
  std::string set(const std::string& name, const std::string& value);

 private:
  struct Conf;
  std::unique_ptr<Conf> conf_;
};

// One property on a configuration of its own.
inline std::string check_property(const std::string& name, const std::string& value) {
  return PropertyCheck().set(name, value);
}

}  // namespace ks::kafka
