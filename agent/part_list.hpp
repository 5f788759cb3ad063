// The agent's long-lived parts in one list, in dependency order: a part is added after the
// parts it needs running (it may call them from its threads), so they start in list order
// and stop in reverse.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/lifecycle.hpp"

namespace ks {

class PartList {
 public:
  // Not owned: each part must outlive the list's stop().
  void add(Part& part);

  // Validates every part (no I/O yet), then starts them in order. When a part fails to
  // validate or start, the parts already started are stopped (in reverse, within
  // `stop_budget`) and the exception propagates: a PartConfigError as it is, any other
  // failure as a std::runtime_error "NAME: WHY".
  void start(std::chrono::milliseconds stop_budget);

  // Stops the started parts: first request_stop() on each (in reverse order), so every part
  // winds down at once (the fleet leaves its group while the rest stops), then stop() on
  // each in reverse order, all by one deadline `budget` from now. Returns the names of the
  // parts that had not stopped by it. Idempotent.
  std::vector<std::string> stop(std::chrono::milliseconds budget);

 private:
  std::vector<Part*> parts_;
  std::size_t started_ = 0;  // parts_[0, started_) are running
};

}  // namespace ks
