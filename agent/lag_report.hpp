// What `kafka-sentinel lag` prints: one row per group, topic and partition from the JSON
// API's groups (/api/v1/groups?partitions=true or /api/v1/groups/{group}), the columns
// operators know from kafka-consumer-groups --describe plus lag in seconds, status and the
// topic's catch-up time.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ks {

struct LagRow {
  std::string group, topic;
  std::int32_t partition = 0;
  std::int64_t current_offset = 0;
  std::optional<std::int64_t> log_end_offset, lag;
  std::optional<double> lag_seconds;
  bool lag_seconds_lower_bound = false;
  std::string status;
  std::optional<double> catch_up_seconds;
};

enum class LagSort { name, lag, seconds };

// The rows of one group's JSON (an object with "topics"); appended to `rows`.
void append_lag_rows(const nlohmann::json& group, std::vector<LagRow>& rows);
// By group, topic, partition; or by lag (or lag seconds) highest first, unknown last.
void sort_lag_rows(std::vector<LagRow>& rows, LagSort sort);
std::string render_lag_table(const std::vector<LagRow>& rows, std::size_t max_width = 120);

}  // namespace ks
