#include "fleet/ownership.hpp"

#include <algorithm>

#include "fleet/shard_hash.hpp"

namespace ks::fleet {

bool OwnedShards::owns_partition(int partition) const {
  if (everything) return true;
  return partition >= 0 && static_cast<std::size_t>(partition) < owned.size() &&
         owned[static_cast<std::size_t>(partition)];
}

bool OwnedShards::owns_group(std::string_view group) const {
  if (everything) return true;
  const int shard = group_shard(group, sharding, partitions, offsets_partitions);
  return shard >= 0 && owns_partition(shard);
}

std::set<std::int32_t> OwnedShards::owned_offsets_partitions(int offsets_partition_count) const {
  std::set<std::int32_t> out;
  for (int o = 0; o < offsets_partition_count; ++o) {
    if (everything || (partitions > 0 && owns_partition(o % partitions))) out.insert(o);
  }
  return out;
}

int OwnedShards::count() const {
  if (everything) return partitions;
  return static_cast<int>(std::count(owned.begin(), owned.end(), true));
}

Ownership::Ownership(bool fleet_enabled, GroupSharding sharding)
    : enabled_(fleet_enabled), sharding_(sharding) {}

bool Ownership::effective_locked(SteadyClock::time_point now) const {
  return !assigned_.empty() && now < lease_until_;
}

OwnedShards Ownership::view() const {
  OwnedShards shards;
  if (!enabled_) {
    shards.everything = true;
    return shards;
  }
  std::lock_guard lock(mutex_);
  shards.partitions = partition_count_;
  shards.sharding = sharding_;
  shards.offsets_partitions = offsets_partitions_;
  if (!effective_locked(SteadyClock::now())) return shards;
  for (const int p : assigned_) {
    if (p < 0) continue;
    if (static_cast<std::size_t>(p) >= shards.owned.size()) shards.owned.resize(static_cast<std::size_t>(p) + 1);
    shards.owned[static_cast<std::size_t>(p)] = true;
  }
  return shards;
}

bool Ownership::owns_group(std::string_view group) const {
  if (!enabled_) return true;
  std::lock_guard lock(mutex_);
  if (!effective_locked(SteadyClock::now())) return false;
  const int shard = group_shard(group, sharding_, partition_count_, offsets_partitions_);
  return shard >= 0 && std::find(assigned_.begin(), assigned_.end(), shard) != assigned_.end();
}

std::uint64_t Ownership::epoch() const {
  std::lock_guard lock(mutex_);
  return epoch_;
}

std::chrono::system_clock::time_point Ownership::leader_since() const {
  std::lock_guard lock(mutex_);
  return leader_since_;
}

void Ownership::assign(std::vector<int> partitions, int partition_count) {
  std::sort(partitions.begin(), partitions.end());
  std::lock_guard lock(mutex_);
  assigned_ = std::move(partitions);
  if (partition_count > 0) partition_count_ = partition_count;
  ++assignment_id_;
  lease_until_ = {};  // not effective before the first renewal of this assignment
  announced_effective_ = false;
  ++epoch_;
}

void Ownership::revoke() {
  std::lock_guard lock(mutex_);
  assigned_.clear();
  ++assignment_id_;
  lease_until_ = {};
  announced_effective_ = false;
  ++epoch_;
}

void Ownership::set_partition_count(int partition_count) {
  std::lock_guard lock(mutex_);
  if (partition_count == partition_count_) return;
  partition_count_ = partition_count;
  ++epoch_;
}

void Ownership::set_offsets_partition_count(int offsets_partitions) {
  std::lock_guard lock(mutex_);
  if (offsets_partitions == offsets_partitions_ || offsets_partitions <= 0) return;
  offsets_partitions_ = offsets_partitions;
  ++epoch_;
}

int Ownership::offsets_partition_count() const {
  std::lock_guard lock(mutex_);
  return offsets_partitions_;
}

std::uint64_t Ownership::assignment_id() const {
  std::lock_guard lock(mutex_);
  return assignment_id_;
}

bool Ownership::renew(std::uint64_t id, SteadyClock::time_point sent_at,
                      SteadyClock::duration lease) {
  std::lock_guard lock(mutex_);
  if (id != assignment_id_ || assigned_.empty()) return false;
  const auto until = sent_at + lease;
  if (until <= lease_until_) return false;
  lease_until_ = until;
  if (announced_effective_ || !effective_locked(SteadyClock::now())) return false;
  announced_effective_ = true;
  ++epoch_;
  if (std::find(assigned_.begin(), assigned_.end(), 0) != assigned_.end()) {
    leader_since_ = std::chrono::system_clock::now();
  }
  return true;
}

bool Ownership::check_expiry(SteadyClock::time_point now) {
  std::lock_guard lock(mutex_);
  if (!announced_effective_ || effective_locked(now)) return false;
  announced_effective_ = false;
  ++epoch_;
  return true;
}

std::vector<int> Ownership::assigned() const {
  std::lock_guard lock(mutex_);
  return assigned_;
}

bool Ownership::lease_valid() const {
  std::lock_guard lock(mutex_);
  return effective_locked(SteadyClock::now());
}

}  // namespace ks::fleet
