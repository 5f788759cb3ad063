#include "collectors/probe/probe_grace.hpp"

#include <algorithm>

namespace ks::probe {

void ProbeGrace::start(const std::vector<std::int32_t>& brokers, Clock::time_point now) {
  for (const std::int32_t b : brokers) {
    const auto it = entries_.find(b);
    // A running grace is not extended, an expired one not renewed: the bound holds.
    if (it != entries_.end() && it->second.state != State::served) continue;
    entries_[b] = Entry{State::running, now + length_, std::nullopt};
  }
}

std::vector<std::int32_t> ProbeGrace::watch(const std::vector<kafka::PartitionMetadata>& partitions,
                                            const std::set<std::int32_t>& live,
                                            Clock::time_point now) {
  std::vector<std::int32_t> unled;
  std::vector<std::int32_t> added;
  for (const kafka::PartitionMetadata& p : partitions) {
    const bool is_new = known_.insert(p.id).second && watched_;
    const bool preferred_live = !p.replicas.empty() && live.contains(p.replicas.front());
    if (is_new && preferred_live) added.push_back(p.replicas.front());
    if (p.leader >= 0) {
      seen_led_.insert(p.id);
    } else if (!seen_led_.contains(p.id) && preferred_live) {
      unled.push_back(p.replicas.front());
    }
  }
  if (!partitions.empty()) watched_ = true;
  std::vector<std::int32_t> began;
  for (const std::int32_t b : added) {
    grant(b, now);
    began.push_back(b);
  }
  for (const std::int32_t b : unled) {
    if (in_grace(b)) continue;
    start({b}, now);
    if (in_grace(b)) began.push_back(b);
  }
  return began;
}

void ProbeGrace::grant(std::int32_t broker, Clock::time_point now) {
  Entry& e = entries_[broker];
  if (e.state == State::running) {
    e.until = std::max(e.until, now + length_);
  } else {
    e = Entry{State::running, now + length_, std::nullopt};
  }
}

void ProbeGrace::update(const std::map<std::int32_t, std::uint64_t>& received,
                        Clock::time_point now) {
  for (auto& [broker, entry] : entries_) {
    if (entry.state != State::running) continue;
    const auto it = received.find(broker);
    const std::uint64_t count = it == received.end() ? 0 : it->second;
    // The first look sets the baseline: only a message consumed back after the request
    // proves the new partition (the broker may have led an older one before).
    if (!entry.baseline) {
      entry.baseline = count;
    } else if (count > *entry.baseline) {
      entry.state = State::served;
      continue;
    }
    if (now >= entry.until) entry.state = State::expired;
  }
}

bool ProbeGrace::in_grace(std::int32_t broker) const {
  const auto it = entries_.find(broker);
  return it != entries_.end() && it->second.state == State::running;
}

std::vector<std::int32_t> ProbeGrace::brokers_in_grace() const {
  std::vector<std::int32_t> out;
  for (const auto& [broker, entry] : entries_) {
    if (entry.state == State::running) out.push_back(broker);
  }
  return out;
}

}  // namespace ks::probe
