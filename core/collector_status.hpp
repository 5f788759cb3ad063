// What the scheduler knows of one collector: read by /readyz and by the events pipeline
// (agent.collector_failing).
#pragma once

#include <cstdint>
#include <string>

namespace ks {

struct CollectorStatus {
  std::string name;
  bool ever_succeeded = false;
  bool last_ok = false;
  std::string last_error;  // of the last failed cycle; cleared by a success
  std::uint64_t runs = 0;
  std::uint64_t errors = 0;
  std::string cycle_problem;  // what the cycle in progress waits on, if known (Collector)
};

}  // namespace ks
