// What the scheduler knows of one collector: read by /readyz and by the events pipeline
// (agent.collector_failing).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ks {

// A collector that must read a backlog before its first snapshot means anything (the groups
// collector reading `__consumer_offsets` to its end): loading, not failing.
struct LoadingProgress {
  std::uint64_t records = 0;  // read so far
  double percent = 0;         // of what there was to read when it started
  std::string what;           // e.g. "reading __consumer_offsets"
};

struct CollectorStatus {
  std::string name;
  bool ever_succeeded = false;
  bool last_ok = false;
  std::string last_error;  // of the last failed cycle; cleared by a success
  std::uint64_t runs = 0;
  std::uint64_t errors = 0;
  std::string cycle_problem;  // what the cycle in progress waits on, if known (Collector)
  std::optional<LoadingProgress> loading;  // set while the collector is loading (Collector)
  std::string note;  // what the collector says of itself (Collector::status_note)
};

}  // namespace ks
