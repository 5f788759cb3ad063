// Which `__consumer_offsets` partition holds a consumer group's records: Kafka's own mapping
// (the group coordinator's partitionFor, the same in the classic and the new coordinator),
//   Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions
// where hashCode is Java's String.hashCode, computed over the id's UTF-16 code units (a
// character outside the Basic Multilingual Plane is two: its surrogate pair), in 32-bit
// two's-complement arithmetic, and Utils.abs maps Integer.MIN_VALUE to 0 (Math.abs would
// leave it negative). Pure, no I/O: the stream reader, the collector and the fleet's
// sharding must all give the same answer as the brokers.
#pragma once

#include <cstdint>
#include <string_view>

namespace ks::kafka {

// Java's String.hashCode of the string whose UTF-8 bytes are `utf8`. A byte that is not
// part of a valid UTF-8 sequence (which a Java client cannot send) counts as U+FFFD, the
// character Java's decoder puts in its place.
std::int32_t java_string_hash(std::string_view utf8);

// Kafka's Utils.abs: |n|, and 0 for INT32_MIN.
std::int32_t kafka_abs(std::int32_t n);

// The partition of `__consumer_offsets` (with `partitions` partitions, at least 1) that
// holds group `group`'s offsets and metadata.
int offsets_partition_of(std::string_view group, int partitions);

}  // namespace ks::kafka
