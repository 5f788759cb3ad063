#include "collectors/groups/shared_watermarks.hpp"

#include <string>

namespace ks::groups {

std::shared_ptr<WatermarkRound> shareable_round(std::span<const kafka::WatermarkRequest> requests,
                                                const kafka::WatermarkResults& results,
                                                std::chrono::steady_clock::time_point at) {
  if (requests.empty() || results.offsets.size() != requests.size()) return nullptr;
  for (const kafka::BrokerWatermarkOutcome& b : results.brokers) {
    if (b.failed() || b.unreachable || b.partition_errors > 0) return nullptr;
  }
  auto round = std::make_shared<WatermarkRound>();
  round->at = at;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const kafka::PartitionWatermarks& w = results.offsets[i];
    if (requests[i].leader < 0 || !w.known()) return nullptr;
    round->set(std::string(requests[i].topic), requests[i].partition, {w.low, w.high});
  }
  return round;
}

}  // namespace ks::groups
