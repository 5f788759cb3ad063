// Which partition of the coordination topic a consumer group belongs to. Every agent of a
// fleet must compute the same answer for the same group, across versions, builds and
// machines, so this is Kafka's own murmur2 (the Java client's default partitioner), not
// std::hash (whose values are unspecified and differ between standard libraries).
#pragma once

#include <cstdint>
#include <string_view>

namespace ks::fleet {

// Kafka's Utils.murmur2: the 32-bit MurmurHash2 with seed 0x9747b28c, as a signed int.
std::int32_t murmur2(std::string_view bytes);

// The partition Kafka's default partitioner would give `key`: toPositive(murmur2) mod n.
// n must be at least 1.
int shard_of(std::string_view key, int partitions);

}  // namespace ks::fleet
