// The broker collector's logic that needs no network: which topics are monitored, the
// health of each partition, which brokers are up (and how long a vanished one stays
// listed), and messages-in rates from successive high watermarks. Unit-tested directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/cluster_snapshot.hpp"
#include "core/config.hpp"
#include "kafka/metadata.hpp"

namespace ks::brokers {

// Kafka's internal topics (__consumer_offsets, __transaction_state, ...) start with "__".
bool is_internal_topic(std::string_view topic);

// include/exclude regexes (full match), plus internal topics left out unless included.
// Decisions are cached per name: regexes run once per topic, not once per cycle.
class TopicFilter {
 public:
  TopicFilter(const NameFilter& filter, bool include_internal_topics);
  bool matches(std::string_view topic);

 private:
  bool evaluate(std::string_view topic) const;
  std::vector<std::regex> include_, exclude_;
  bool include_internal_;
  std::unordered_map<std::string, bool> cache_;
};

// Sets offline, under_replicated, under_min_isr and leader_is_preferred from the leader,
// the replica set, the ISR size and min.insync.replicas (when known). Same meaning as
// kafka-topics --describe: an offline partition is also under min ISR.
void derive_partition_health(PartitionState& p, std::span<const std::int32_t> replicas,
                             std::optional<int> min_insync_replicas);
void derive_health(TopicState& topic);

// The monitored topics of a metadata response: sorted by name, partitions sorted by id,
// health derived without min.insync.replicas (apply it, then derive_health again).
std::vector<TopicState> topics_from_metadata(const kafka::ClusterMetadata& metadata,
                                             TopicFilter& filter);

// Which brokers to list and whether each is up. A broker in the metadata is up unless it
// stopped answering (its requests timed out or its connection failed); one seen before and
// missing now is listed down for `retention`, then forgotten.
class BrokerTracker {
 public:
  struct Seen {
    std::int32_t id;
    std::string host;
    int port;
  };
  explicit BrokerTracker(std::chrono::milliseconds retention) : retention_(retention) {}

  // `seen`: brokers of this cycle's metadata; nullopt when the metadata request failed
  // (every known broker is then down). Returns the brokers to list, sorted by id.
  std::vector<BrokerState> update(const std::optional<std::vector<Seen>>& seen,
                                  const std::set<std::int32_t>& not_answering,
                                  std::chrono::system_clock::time_point now);
  void set_rack(std::int32_t id, std::string rack);
  void add_offset_request_failures(std::int32_t id, std::uint64_t n);
  std::size_t known() const { return known_.size(); }

 private:
  struct Known {
    std::string host;
    int port = 0;
    std::string rack;
    std::chrono::system_clock::time_point last_seen;
    std::uint64_t offset_request_failures = 0;
  };
  std::chrono::milliseconds retention_;
  std::map<std::int32_t, Known> known_;
};

// Messages per second of each topic: the sum of its partitions' high-watermark increases
// over the time between two cycles' watermark fetches. Absent on the first cycle, while any
// partition's watermark is missing (then the last complete set is kept, so the next rate
// spans the gap), when the partitions changed, or when any watermark went backwards (topic
// recreated, unclean leader election).
class RateTracker {
 public:
  void update(std::vector<TopicState>& topics, std::chrono::steady_clock::time_point at);

 private:
  struct Previous {
    std::chrono::steady_clock::time_point at;
    std::vector<std::pair<std::int32_t, std::int64_t>> highs;  // partition, high watermark
  };
  std::unordered_map<std::string, Previous> previous_;
};

// Per-broker partition and leader counts, and the cluster totals, from the topics.
void count_partitions(ClusterSnapshot& snapshot);

}  // namespace ks::brokers
