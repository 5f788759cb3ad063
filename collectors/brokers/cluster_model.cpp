#include "collectors/brokers/cluster_model.hpp"

#include <algorithm>
#include <unordered_set>

namespace ks::brokers {

bool is_internal_topic(std::string_view topic) { return topic.starts_with("__"); }

TopicFilter::TopicFilter(const NameFilter& filter, bool include_internal_topics)
    : include_internal_(include_internal_topics) {
  // The config loader has validated every pattern.
  for (const std::string& p : filter.include) include_.emplace_back(p, std::regex::ECMAScript);
  for (const std::string& p : filter.exclude) exclude_.emplace_back(p, std::regex::ECMAScript);
}

bool TopicFilter::evaluate(std::string_view topic) const {
  if (!include_internal_ && is_internal_topic(topic)) return false;
  const auto full_match = [topic](const std::regex& re) {
    return std::regex_match(topic.begin(), topic.end(), re);
  };
  if (!include_.empty() && std::none_of(include_.begin(), include_.end(), full_match)) {
    return false;
  }
  return std::none_of(exclude_.begin(), exclude_.end(), full_match);
}

bool TopicFilter::matches(std::string_view topic) {
  if (auto it = cache_.find(std::string(topic)); it != cache_.end()) return it->second;
  // Topics come and go; bound the cache rather than track deletions.
  if (cache_.size() > 200'000) cache_.clear();
  const bool result = evaluate(topic);
  cache_.emplace(std::string(topic), result);
  return result;
}

void derive_partition_health(PartitionState& p, std::span<const std::int32_t> replicas,
                             std::optional<int> min_insync_replicas) {
  p.offline = p.leader == kNoBroker;
  p.under_replicated = static_cast<std::size_t>(p.isr_count) < replicas.size();
  p.under_min_isr = p.offline || (min_insync_replicas && p.isr_count < *min_insync_replicas);
  p.leader_is_preferred = !p.offline && !replicas.empty() && replicas.front() == p.leader;
}

void derive_health(TopicState& topic) {
  for (PartitionState& p : topic.partitions) {
    derive_partition_health(p, topic.replicas(p), topic.min_insync_replicas);
  }
}

namespace {

// A partition of the metadata, its replicas and ISR appended to the topic's pooled ids.
void add_partition(TopicState& topic, const kafka::PartitionMetadata& mp) {
  PartitionState& p = topic.partitions.emplace_back();
  p.id = mp.id;
  p.leader = mp.leader < 0 ? kNoBroker : mp.leader;
  p.error = static_cast<std::int16_t>(kafka::raw(mp.error));
  p.replicas_begin = static_cast<std::uint32_t>(topic.replica_ids.size());
  const std::size_t replicas = std::min<std::size_t>(mp.replicas.size(), 65535);
  const std::size_t isr = std::min<std::size_t>(mp.isrs.size(), 65535);
  p.replica_count = static_cast<std::uint16_t>(replicas);
  p.isr_count = static_cast<std::uint16_t>(isr);
  topic.replica_ids.insert(topic.replica_ids.end(), mp.replicas.begin(),
                           mp.replicas.begin() + static_cast<std::ptrdiff_t>(replicas));
  topic.replica_ids.insert(topic.replica_ids.end(), mp.isrs.begin(),
                           mp.isrs.begin() + static_cast<std::ptrdiff_t>(isr));
}

TopicState topic_state(const kafka::TopicMetadata& mt) {
  TopicState topic;
  topic.name = mt.name;
  topic.error = static_cast<std::int16_t>(kafka::raw(mt.error));
  topic.partitions.reserve(mt.partitions.size());
  std::size_t ids = 0;
  for (const kafka::PartitionMetadata& mp : mt.partitions) ids += mp.replicas.size() + mp.isrs.size();
  topic.replica_ids.reserve(ids);
  for (const kafka::PartitionMetadata& mp : mt.partitions) add_partition(topic, mp);
  std::sort(topic.partitions.begin(), topic.partitions.end(),
            [](const PartitionState& a, const PartitionState& b) { return a.id < b.id; });
  derive_health(topic);
  return topic;
}

}  // namespace

std::vector<TopicState> topics_from_metadata(const kafka::ClusterMetadata& metadata,
                                             TopicFilter& filter) {
  std::vector<TopicState> topics;
  topics.reserve(metadata.topics.size());
  for (const kafka::TopicMetadata& mt : metadata.topics) {
    if (mt.name.empty() || !filter.matches(mt.name)) continue;
    // A topic being created or deleted can answer with an error and no partitions: it is
    // not there (yet, any more).
    if (kafka::failed(mt.error) && mt.partitions.empty()) continue;
    topics.push_back(topic_state(mt));
  }
  std::sort(topics.begin(), topics.end(),
            [](const TopicState& a, const TopicState& b) { return a.name < b.name; });
  return topics;
}

std::vector<BrokerState> BrokerTracker::update(const std::optional<std::vector<Seen>>& seen,
                                               const std::set<std::int32_t>& not_answering,
                                               std::chrono::system_clock::time_point now) {
  std::set<std::int32_t> in_metadata;
  if (seen) {
    for (const Seen& b : *seen) {
      Known& k = known_[b.id];
      k.host = b.host;
      k.port = b.port;
      k.last_seen = now;
      in_metadata.insert(b.id);
    }
  }
  std::vector<BrokerState> out;
  for (auto it = known_.begin(); it != known_.end();) {
    const Known& k = it->second;
    const bool present = in_metadata.contains(it->first);
    if (!present && now - k.last_seen > retention_) {
      it = known_.erase(it);
      continue;
    }
    BrokerState& b = out.emplace_back();
    b.id = it->first;
    b.host = k.host;
    b.port = k.port;
    b.rack = k.rack;
    b.in_metadata = present;
    b.up = present && !not_answering.contains(it->first);
    b.last_seen = k.last_seen;
    b.offset_request_failures = k.offset_request_failures;
    ++it;
  }
  return out;  // std::map: already sorted by id
}

void BrokerTracker::set_rack(std::int32_t id, std::string rack) {
  if (auto it = known_.find(id); it != known_.end()) it->second.rack = std::move(rack);
}

void BrokerTracker::add_offset_request_failures(std::int32_t id, std::uint64_t n) {
  if (auto it = known_.find(id); it != known_.end()) it->second.offset_request_failures += n;
}

void RateTracker::update(std::vector<TopicState>& topics, std::chrono::steady_clock::time_point at) {
  std::unordered_set<std::string_view> present;
  present.reserve(topics.size());
  for (TopicState& topic : topics) {
    present.insert(topic.name);
    topic.messages_in_per_second.reset();
    const bool complete =
        !topic.partitions.empty() &&
        std::all_of(topic.partitions.begin(), topic.partitions.end(),
                    [](const PartitionState& p) { return p.has_watermarks(); });
    if (!complete) continue;  // keep the last complete set: the next rate spans the gap
    auto it = previous_.find(topic.name);
    if (it != previous_.end() && it->second.highs.size() == topic.partitions.size() &&
        at > it->second.at) {
      const Previous& prev = it->second;
      bool valid = true;
      std::int64_t delta = 0;
      for (std::size_t i = 0; i < topic.partitions.size() && valid; ++i) {
        const PartitionState& p = topic.partitions[i];
        const auto& [id, high] = prev.highs[i];
        valid = id == p.id && p.high_watermark >= high;
        delta += p.high_watermark - high;
      }
      if (valid) {
        const double seconds = std::chrono::duration<double>(at - prev.at).count();
        topic.messages_in_per_second = static_cast<double>(delta) / seconds;
      }
    }
    Previous& slot = previous_[topic.name];
    slot.at = at;
    slot.highs.clear();
    slot.highs.reserve(topic.partitions.size());
    for (const PartitionState& p : topic.partitions) slot.highs.emplace_back(p.id, p.high_watermark);
  }
  // Deleted (or no longer monitored) topics: a recreated one starts afresh.
  std::erase_if(previous_, [&](const auto& entry) { return !present.contains(entry.first); });
}

void count_partitions(ClusterSnapshot& snapshot) {
  std::unordered_map<std::int32_t, BrokerState*> by_id;
  for (BrokerState& b : snapshot.brokers) {
    b.partitions = 0;
    b.leader_partitions = 0;
    by_id.emplace(b.id, &b);
  }
  snapshot.partition_count = snapshot.offline_partitions = 0;
  snapshot.under_replicated_partitions = snapshot.under_min_isr_partitions = 0;
  for (const TopicState& topic : snapshot.topics) {
    for (const PartitionState& p : topic.partitions) {
      ++snapshot.partition_count;
      snapshot.offline_partitions += p.offline;
      snapshot.under_replicated_partitions += p.under_replicated;
      snapshot.under_min_isr_partitions += p.under_min_isr;
      for (const std::int32_t id : topic.replicas(p)) {
        if (auto it = by_id.find(id); it != by_id.end()) ++it->second->partitions;
      }
      if (auto it = by_id.find(p.leader); it != by_id.end()) ++it->second->leader_partitions;
    }
  }
}

}  // namespace ks::brokers
