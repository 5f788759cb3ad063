// One round of low and high watermarks, as the groups collector fetched it, for the brokers
// collector to reuse instead of asking the brokers for the same partitions again (the two
// collectors otherwise send the same ListOffsets every cycle: docs/performance.md).
//
// Only complete rounds are published (every leader answered every partition asked), so a
// reader never mistakes a partition the round lacks for one whose leader failed. The
// groups collector keeps fetching its own round after the committed offsets, so lag is
// never computed from a watermark older than the offsets it is compared with; only the
// brokers collector reads a published round, and only while it is recent (its own rule).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ks {

struct WatermarkPair {
  std::int64_t low = -1;
  std::int64_t high = -1;
  bool known() const { return low >= 0 && high >= 0; }
};

struct WatermarkRound {
  // When the brokers answered (the middle of the fetch), on the steady clock: what rates
  // computed from the round are timed by.
  std::chrono::steady_clock::time_point at;
  // By topic, indexed by partition id; unknown (-1, -1) where the round did not ask.
  std::unordered_map<std::string, std::vector<WatermarkPair>> topics;

  void set(const std::string& topic, std::int32_t partition, WatermarkPair offsets) {
    if (partition < 0) return;
    std::vector<WatermarkPair>& by_id = topics[topic];
    const auto id = static_cast<std::size_t>(partition);
    if (by_id.size() <= id) by_id.resize(id + 1);
    by_id[id] = offsets;
  }

  // The partition's watermarks, when the round has them.
  std::optional<WatermarkPair> find(const std::string& topic, std::int32_t partition) const {
    const auto it = topics.find(topic);
    if (it == topics.end() || partition < 0 ||
        static_cast<std::size_t>(partition) >= it->second.size()) {
      return std::nullopt;
    }
    const WatermarkPair& w = it->second[static_cast<std::size_t>(partition)];
    return w.known() ? std::optional(w) : std::nullopt;
  }
};

}  // namespace ks
