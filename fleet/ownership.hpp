// What this agent owns in the fleet, read by collectors and renderers on their threads and
// changed only by the coordinator's thread.
//
// An agent owns the coordination topic's partitions assigned to it, but only while its
// lease is valid: the lease is renewed by offset commits that the group coordinator
// accepts (it accepts them only from a member of the current generation, and each one
// restarts the member's session timer), and lasts half the session timeout from the moment
// the commit was sent. The coordinator gives a silent member's partitions to others only a
// whole session timeout after it last heard from it, so an agent cut off from Kafka stops
// exporting before anyone else starts: at most one owner at any moment.
//
// The owner of partition 0 is the leader (cluster-wide work: broker metadata, cluster
// events); consumer group g belongs to partition group_shard(g, ...) (shard_hash.hpp): by a
// hash of its name, or, where the offsets come from `__consumer_offsets`, by its offsets
// partition o, owned with coordination partition o mod P.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string_view>
#include <vector>

#include "fleet/shard_hash.hpp"

namespace ks::fleet {

using SteadyClock = std::chrono::steady_clock;

// An immutable view, so that a renderer checks thousands of groups with one lock.
struct OwnedShards {
  bool everything = false;  // fleet disabled: a single agent owns all
  int partitions = 0;       // of the coordination topic; 0 = not known yet
  std::vector<bool> owned;  // by partition id, effective ones only
  GroupSharding sharding = GroupSharding::name_hash;
  int offsets_partitions = 0;  // of `__consumer_offsets` (offsets_partition); 0 = not known

  bool owns_partition(int partition) const;
  bool owns_group(std::string_view group) const;
  // The `__consumer_offsets` partitions (of `offsets_partition_count`) whose groups are
  // owned: all of them with everything, else those o with o mod P owned.
  std::set<std::int32_t> owned_offsets_partitions(int offsets_partition_count) const;
  bool leader() const { return owns_partition(0); }
  int count() const;
};

class Ownership {
 public:
  // Disabled: everything is owned and nothing ever changes. `sharding`: how groups map to
  // shards (the same in every agent of a fleet: it follows collectors.groups.source).
  explicit Ownership(bool fleet_enabled, GroupSharding sharding = GroupSharding::name_hash);

  bool fleet_enabled() const { return enabled_; }
  OwnedShards view() const;
  bool is_leader() const { return view().leader(); }
  // One group without building a view (the groups collector asks per listed group).
  bool owns_group(std::string_view group) const;
  bool owns_any() const {
    const OwnedShards shards = view();
    return shards.everything || shards.count() > 0;
  }
  // Bumped on every change of what is effectively owned (assignment, revocation, lease
  // gained or lapsed): collectors use it to notice they lost a role between two cycles.
  std::uint64_t epoch() const;
  // When the leader role last became effective (system clock, to compare with snapshots'
  // taken_at): a snapshot taken before belongs to an earlier term.
  std::chrono::system_clock::time_point leader_since() const;

  // Coordinator side. A new assignment owns nothing until the first lease renewal.
  void assign(std::vector<int> partitions, int partition_count);
  void revoke();
  void set_partition_count(int partition_count);
  // `__consumer_offsets`' partition count (the groups' shards when sharding by it; until
  // it is known, no group is owned).
  GroupSharding group_sharding() const { return sharding_; }
  void set_offsets_partition_count(int offsets_partitions);
  int offsets_partition_count() const;
  // The assignment a renewal is for; renew() is ignored when it has changed since.
  std::uint64_t assignment_id() const;
  // A commit sent at `sent_at` for assignment `id` succeeded. True when this made the
  // roles effective (they were not).
  bool renew(std::uint64_t id, SteadyClock::time_point sent_at, SteadyClock::duration lease);
  // True once when the lease has lapsed at `now` (roles no longer effective).
  bool check_expiry(SteadyClock::time_point now);
  std::vector<int> assigned() const;
  bool lease_valid() const;

 private:
  bool effective_locked(SteadyClock::time_point now) const;

  const bool enabled_;
  const GroupSharding sharding_;
  mutable std::mutex mutex_;
  int offsets_partitions_ = 0;
  std::vector<int> assigned_;
  int partition_count_ = 0;
  std::uint64_t assignment_id_ = 0;
  SteadyClock::time_point lease_until_{};
  bool announced_effective_ = false;
  std::uint64_t epoch_ = 0;
  std::chrono::system_clock::time_point leader_since_{};
};

}  // namespace ks::fleet
