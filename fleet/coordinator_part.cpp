#include "fleet/coordinator_part.hpp"

#include <string>

namespace ks::fleet {

void CoordinatorPart::validate() const {
  if (config_.topic.empty()) throw PartConfigError("fleet.topic", "must not be empty");
  if (config_.partitions < 1) {
    throw PartConfigError("fleet.partitions",
                          "must be 1 or more, got " + std::to_string(config_.partitions));
  }
  // The lease is renewed every session_timeout/6 and checked against session_timeout/2.
  if (config_.session_timeout < std::chrono::seconds(1)) {
    throw PartConfigError("fleet.session_timeout", "must be at least 1s");
  }
}

bool CoordinatorPart::stop(Deadline deadline) {
  coordinator_.stop();
  return std::chrono::steady_clock::now() <= deadline;
}

}  // namespace ks::fleet
