// Plain topic/partition/offset values that cross the Kafka layer (librdkafka's partition
// lists stay inside it).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kafka/errors.hpp"

namespace ks::kafka {

// Kafka's "no offset" (librdkafka's RD_KAFKA_OFFSET_INVALID).
inline constexpr std::int64_t kInvalidOffset = -1001;

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = kInvalidOffset;
  std::string metadata;  // of an offset commit
  ErrorCode error = ErrorCode::no_error;

  bool operator==(const TopicPartition&) const = default;
};

// A partition with an offset (to commit, store, or read from).
inline TopicPartition at_offset(std::string topic, std::int32_t partition, std::int64_t offset) {
  return TopicPartition{std::move(topic), partition, offset, {}, ErrorCode::no_error};
}

// The first partition error of a list, no_error when none has one.
inline ErrorCode first_error(std::span<const TopicPartition> partitions) {
  for (const TopicPartition& p : partitions) {
    if (failed(p.error)) return p.error;
  }
  return ErrorCode::no_error;
}

// "orders[0,1] audit[3]", or with offsets "orders[0@5,1@7]"; "(none)" when empty.
std::string describe(std::span<const TopicPartition> partitions, bool with_offsets = false);

}  // namespace ks::kafka
