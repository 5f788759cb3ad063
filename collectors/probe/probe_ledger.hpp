// The probe's bookkeeping, without any I/O: every message sent is entered with its partition,
// the broker leading it then and the send time; acknowledgements, receipts and commits are
// matched against it. A message not received within the timeout is lost; one received twice
// is a duplicate; one received after a later message of its partition is out of order. A
// message that arrives after it was counted lost is not counted again (it is "late": left
// out of received, duplicated and out of order alike).
//
// Only the messages this ledger entered are ever counted: the caller passes receipts of its
// own agent and run only (collectors/probe/probe_message.hpp), so another agent's messages
// and a previous run's never count as received, lost or duplicated.
//
// Not thread-safe: the owner locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/probe_snapshot.hpp"

namespace ks::probe {

class ProbeLedger {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // `slow_window`: the recent end-to-end latencies per broker kept for its p99.
  ProbeLedger(std::chrono::milliseconds timeout, int slow_window);

  // The sequence number of the next message to `partition` (1, 2, ...).
  std::uint64_t next_sequence(std::int32_t partition);
  void on_sent(std::int32_t partition, std::uint64_t sequence, std::int32_t broker, TimePoint at);
  // `error`: librdkafka's error name when the delivery failed.
  void on_acked(std::int32_t partition, std::uint64_t sequence, TimePoint at,
                const std::optional<std::string>& error);
  // Returns the broker the message was sent to when it is counted as received (first time).
  std::optional<std::int32_t> on_received(std::int32_t partition, std::uint64_t sequence,
                                          TimePoint at);
  void on_fetch_error(std::int32_t partition, std::int32_t broker, const std::string& error);
  void on_commit(std::int32_t partition, std::int32_t broker, std::chrono::nanoseconds latency,
                 const std::optional<std::string>& error);
  // Counts as lost the messages sent more than the timeout before `now` and never received.
  void expire(TimePoint now);

  std::vector<ProbePartitionStats> stats() const;  // by (partition, broker)
  // The brokers whose messages were lost or refused since the last call, with why.
  std::map<std::int32_t, std::string> take_failures();
  // p99 (nearest rank) of the broker's recent end-to-end latencies (seconds) and how many
  // there are; no p99 while there are fewer than min(slow window, 100). A partition's first
  // message of a run (sequence 1) is left out of them.
  std::pair<std::optional<double>, std::uint64_t> recent_p99(std::int32_t broker) const;
  std::size_t in_flight() const;

 private:
  struct InFlight {
    std::int32_t broker = -1;
    TimePoint sent{};
    bool received = false;
  };
  struct PartitionLog {
    std::uint64_t last_sequence = 0;      // the last one handed out
    std::uint64_t highest_received = 0;   // 0: none yet
    std::map<std::uint64_t, InFlight> messages;  // by sequence, until the timeout passed
  };
  ProbePartitionStats& stats_of(std::int32_t partition, std::int32_t broker);
  void note_failure(std::int32_t broker, std::string reason);

  std::chrono::milliseconds timeout_;
  std::size_t slow_window_;
  std::map<std::int32_t, PartitionLog> partitions_;
  std::map<std::pair<std::int32_t, std::int32_t>, ProbePartitionStats> stats_;
  std::map<std::int32_t, std::deque<double>> recent_;  // end-to-end seconds, by broker
  std::map<std::int32_t, std::string> failures_;
};

}  // namespace ks::probe
