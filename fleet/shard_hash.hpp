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

// How consumer groups are spread over the coordination topic's partitions.
enum class GroupSharding {
  // shard_of(group, P): where the groups' offsets come from the admin API.
  name_hash,
  // By the group's `__consumer_offsets` partition o (Kafka's own mapping,
  // kafka/offsets_partition.hpp), and o to coordination partition o mod P: where the offsets
  // come from the stream, so that each agent reads only the offsets partitions of its
  // shards and every group's records are read by exactly one agent.
  offsets_partition,
};

// The coordination partition of `group` (P = `partitions`, the offsets topic having
// `offsets_partitions`), or -1 while a count it needs is not known (0).
int group_shard(std::string_view group, GroupSharding sharding, int partitions,
                int offsets_partitions);

}  // namespace ks::fleet
