// The probe's own thread: every interval one message to each target partition (producer
// with probe.acks), and between sends a consumer in the probe's own group reads them back
// and commits each one. Latencies are measured on the monotonic clock as the reports and
// messages arrive, so the engine polls continuously instead of once per collector cycle.
//
// A partition is sent to only once the consumer is assigned it: a message sent before the
// group's first assignment would wait out the join (seconds) and read as slow or lost. The
// consumer starts from the earliest offset when its group has no committed offset, so a
// partition just assigned never skips a message sent right after. Messages of other agents
// and of this agent's earlier runs (another run id) are read and ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "collectors/probe/probe_coverage.hpp"
#include "collectors/probe/probe_ledger.hpp"
#include "core/config.hpp"

namespace ks::kafka {
class Producer;
class GroupConsumer;
struct ConsumedMessage;
}  // namespace ks::kafka

namespace ks::probe {

struct EngineView {
  std::vector<ProbePartitionStats> partitions;
  std::map<std::int32_t, std::string> failures;  // since the last view, by broker
  std::map<std::int32_t, std::pair<std::optional<double>, std::uint64_t>> p99;  // by broker
  std::uint64_t bytes_sent = 0;
  std::set<std::int32_t> assigned;  // partitions the consumer has
};

class ProbeEngine {
 public:
  // Makes the clients, subscribes and starts the thread. Throws KafkaError naming a refused
  // property.
  ProbeEngine(const KafkaConfig& kafka, const ProbeConfig& config, std::string agent_id,
              std::string group);
  ~ProbeEngine();
  ProbeEngine(const ProbeEngine&) = delete;
  ProbeEngine& operator=(const ProbeEngine&) = delete;

  void set_targets(std::vector<ProbeTarget> targets);
  // The bookkeeping so far; `brokers`: those whose p99 is wanted.
  EngineView view(const std::vector<std::int32_t>& brokers);

 private:
  using Clock = std::chrono::steady_clock;
  struct PendingCommit {
    std::int32_t partition = -1;
    std::int32_t broker = -1;
    Clock::time_point sent{};
  };
  void run(std::stop_token stop);
  void send_round();
  void on_message(const kafka::ConsumedMessage& message);
  void serve_commits();
  std::int32_t leader_of(std::int32_t partition) const;  // mutex_ held

  ProbeConfig config_;
  std::string agent_id_;  // as on the wire
  std::uint64_t run_id_;
  std::mutex mutex_;  // guards what follows it up to the clients
  ProbeLedger ledger_;
  std::vector<ProbeTarget> targets_;
  std::set<std::int32_t> assigned_;
  std::uint64_t bytes_sent_ = 0;
  std::map<std::uint64_t, PendingCommit> commits_;  // by tag; the engine thread's
  std::uint64_t next_commit_tag_ = 1;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::GroupConsumer> consumer_;
  std::jthread thread_;  // last: stopped and joined first
};

}  // namespace ks::probe
