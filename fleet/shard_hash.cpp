#include "fleet/shard_hash.hpp"

#include "kafka/offsets_partition.hpp"

namespace ks::fleet {

std::int32_t murmur2(std::string_view bytes) {
  constexpr std::uint32_t seed = 0x9747b28cu;
  constexpr std::uint32_t m = 0x5bd1e995u;
  constexpr int r = 24;
  const auto length = static_cast<std::uint32_t>(bytes.size());
  std::uint32_t h = seed ^ length;
  const auto byte = [&bytes](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]));
  };
  const std::size_t words = bytes.size() / 4;
  for (std::size_t i = 0; i < words; ++i) {
    const std::size_t at = i * 4;
    std::uint32_t k = byte(at) | (byte(at + 1) << 8) | (byte(at + 2) << 16) | (byte(at + 3) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::size_t tail = words * 4;
  switch (bytes.size() % 4) {
    case 3:
      h ^= byte(tail + 2) << 16;
      [[fallthrough]];
    case 2:
      h ^= byte(tail + 1) << 8;
      [[fallthrough]];
    case 1:
      h ^= byte(tail);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

int shard_of(std::string_view key, int partitions) {
  const auto positive = static_cast<std::uint32_t>(murmur2(key)) & 0x7fffffffu;
  return static_cast<int>(positive % static_cast<std::uint32_t>(partitions));
}

int group_shard(std::string_view group, GroupSharding sharding, int partitions,
                int offsets_partitions) {
  if (partitions <= 0) return -1;
  if (sharding == GroupSharding::name_hash) return shard_of(group, partitions);
  if (offsets_partitions <= 0) return -1;
  return kafka::offsets_partition_of(group, offsets_partitions) % partitions;
}

}  // namespace ks::fleet
