// Health events end to end, as the agent runs them: after every collector cycle the
// evaluator thread reads the new snapshots (and the collectors' statuses), turns
// transitions into events, appends them to the spool (durably, before anything else), and
// wakes the producer, which delivers the spool to Kafka on its own thread.
//
// The evaluator's firing conditions are saved beside the spool (evaluator.state, replaced
// atomically after every append), and events spooled after the last save are replayed on
// startup: a restart, even after SIGKILL, neither fires a condition again nor forgets to
// resolve it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/transition_detector.hpp"
#include "events/role_handoff.hpp"
#include "core/collector_status.hpp"
#include "core/snapshots.hpp"
#include "core/config.hpp"
#include "events/event_metrics.hpp"
#include "events/event_producer.hpp"
#include "events/spool.hpp"

namespace ks::events {

class EventsPipeline {
 public:
  using StatusSource = std::function<std::vector<CollectorStatus>()>;
  // Fleet: the roles this agent holds now (events/role_handoff.hpp).
  using RoleSource = std::function<Roles()>;

  // Opens and recovers the spool, restores the evaluator, creates the producer. Throws
  // (SpoolError, ProducerError) when events cannot be made durable or deliverable.
  EventsPipeline(const Config& config, Snapshots& snapshots, prometheus::Registry& registry);
  ~EventsPipeline();
  EventsPipeline(const EventsPipeline&) = delete;
  EventsPipeline& operator=(const EventsPipeline&) = delete;

  // `roles`: given in fleet mode only; cluster and group conditions are then judged and
  // published only under the role that covers them, and move with it.
  void start(StatusSource statuses, RoleSource roles = {});
  // A collector finished a cycle: evaluate soon.
  void notify();
  void request_stop();  // returns at once
  void stop();          // and waits (a few seconds at most)

  static constexpr const char* kStateFile = "evaluator.state";

 private:
  void run(std::stop_token stop);
  void evaluate_once();
  void emit(std::vector<HealthEvent> events);
  void write_state(std::uint64_t spool_seq);
  void restore();
  // Fleet: forgets the conditions of roles lost, seeds those of roles gained from the events
  // topic. False while a gained role could not be seeded yet (Kafka unreachable): its
  // domain is not judged until it is.
  bool apply_roles(const Roles& roles);
  std::vector<HealthEvent> spooled_events() const;

  EventsConfig config_;
  KafkaConfig kafka_;
  Snapshots& snapshots_;
  EventMetrics metrics_;
  std::unique_ptr<Spool> spool_;
  TransitionDetector evaluator_;
  std::unique_ptr<EventProducer> producer_;
  StatusSource statuses_;
  RoleSource roles_;
  RoleHandoff handoff_;
  RoleHandoff::Predicate unseeded_;  // gained, not seeded yet (null: nothing pending)
  std::uint64_t host_version_ = 0, cluster_version_ = 0, groups_version_ = 0;
  struct Seen {
    std::uint64_t runs = 0, errors = 0;
  };
  std::map<std::string, Seen> collectors_seen_;
  // Events the spool could not take (disk full, I/O error): retried on the next cycle.
  std::vector<HealthEvent> unspooled_;
  std::deque<HealthEvent> recent_;  // the last transitions spooled, for snapshots_.health
  void publish_health();
  std::mutex wake_mutex_;
  std::condition_variable_any wake_;
  bool pending_wake_ = false;
  std::jthread thread_;
};

// events.node_name, else the host name.
std::string agent_node_name(const EventsConfig& config);

}  // namespace ks::events
