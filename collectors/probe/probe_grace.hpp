// The grace of probe partitions the agent has just created or added. A new partition has no
// leader for a while (seconds on a loaded machine, longer while two agents create the same
// topic), and until it has one its broker leads no probed partition. Judged at once, every
// broker of a new topic read as uncovered for a few intervals: probe.failing fired for all
// of them and resolved seconds later, a false page at every agent start under load.
//
// A broker the agent created or added a partition for is in grace from that request until a
// message led by it is consumed back (its probe works end to end), or at most `length`
// (probe.timeout + 10 probe intervals): so a broker that never serves its new partition is
// still reported, `length` plus probe.failing_intervals later. While in grace the broker is
// reported uncovered when it leads nothing, but not failing; its lost or refused messages are
// counted, not judged. A broker whose grace ran out unserved gets no second one (a topic the
// agent keeps failing to create cannot hide its brokers for ever); one that was served gets a
// new grace for the next partition added for it.
//
// The same grace covers partitions this agent did not ask for: an agent that starts just
// after another one created the topic (or added a partition) finds partitions without a
// leader that it has never seen led. The preferred leader (first replica) of such a partition,
// when live, gets its grace from that first sighting, on the same terms. A partition once seen
// with a leader gets none when it loses it: that is a broker down, judged as always.
// And a partition that appears while the agent runs (added by it or by another agent) gives
// its live preferred leader a grace of `length` from that first sighting, extending one
// already running: the grace of a broker the agent asked a topic for, which got no partition
// from it (the topic existed already), would otherwise run out while its partition is being
// added. Each partition appears once: the bound holds.
//
// Pure bookkeeping, no I/O, not thread-safe (the collector's thread alone uses it).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "kafka/metadata.hpp"

namespace ks::probe {

class ProbeGrace {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ProbeGrace(std::chrono::milliseconds length) : length_(length) {}

  // The agent has just asked for partitions to be led by `brokers` (created or added).
  void start(const std::vector<std::int32_t>& brokers, Clock::time_point now);
  // Every cycle, the probe topic's partitions as the metadata shows them: the live preferred
  // leaders of partitions never seen led get a grace from now (once, as start()), those of
  // partitions that appeared since the last look one from now even if theirs runs. Returns
  // the brokers whose grace this began or extended.
  std::vector<std::int32_t> watch(const std::vector<kafka::PartitionMetadata>& partitions,
                                  const std::set<std::int32_t>& live, Clock::time_point now);
  // Ends the graces that are served (a message of the broker consumed back since the grace
  // started; `received`: per broker, all its messages consumed back so far) or past `length`.
  void update(const std::map<std::int32_t, std::uint64_t>& received, Clock::time_point now);
  bool in_grace(std::int32_t broker) const;
  std::vector<std::int32_t> brokers_in_grace() const;  // ascending

  static std::chrono::milliseconds length_for(std::chrono::milliseconds timeout,
                                              std::chrono::milliseconds interval) {
    return timeout + 10 * interval;
  }

 private:
  // A grace from now for a partition that appeared: extends a running one, else a new one.
  void grant(std::int32_t broker, Clock::time_point now);

  enum class State { running, served, expired };
  struct Entry {
    State state = State::running;
    Clock::time_point until{};
    std::optional<std::uint64_t> baseline;  // received when first updated; unset until then
  };
  std::chrono::milliseconds length_;
  std::map<std::int32_t, Entry> entries_;
  std::set<std::int32_t> seen_led_;  // partitions this agent has seen with a leader
  std::set<std::int32_t> known_;     // partitions this agent has seen at all
  bool watched_ = false;             // the topic's partitions were seen once: later ones are new
};

}  // namespace ks::probe
