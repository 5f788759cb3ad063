#include "agent/agent.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <librdkafka/rdkafka.h>

#include "agent/builtin_modules.hpp"
#include "events/pipeline.hpp"
#include "fleet/coordinator.hpp"
#include "fleet/fleet_metrics.hpp"
#include "fleet/node_identity.hpp"
#include "fleet/ownership.hpp"
#include "agent/http_server.hpp"
#include "agent/logging.hpp"
#include "agent/metrics_endpoint.hpp"
#include "agent/scheduler.hpp"
#include "agent/self_metrics.hpp"
#include "kafka/client.hpp"
#include "ks_revision.hpp"  // generated at build time: KS_REVISION

namespace ks {
namespace {

// Shutdown must finish within 5 s of SIGTERM (Kubernetes and systemd escalate to SIGKILL
// soon after). A collector blocked in a Kafka call (up to kafka.request_timeout) is
// abandoned after 2 s: its result would be discarded anyway, and the event spool's flush
// needs the rest of the budget.
constexpr std::chrono::milliseconds kCollectorStopDeadline{2000};

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

int run_agent(const Config& config) {
  setup_logging(config.log);
  // Block the termination signals before any thread starts, so every thread inherits the
  // mask and only sigwait below receives them.
  const sigset_t signals = termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  spdlog::info("kafka-sentinel {} (revision {}, librdkafka {}) starting; config: {}", KS_VERSION,
               KS_REVISION, rd_kafka_version_str(),
               config.source.empty() ? "built-in defaults" : config.source);

  SelfMetrics self_metrics;
  MetricsEndpoint metrics(self_metrics);
  Snapshots snapshots;
  // Health events (events.enabled): evaluated after every collector cycle, spooled, sent.
  std::unique_ptr<events::EventsPipeline> events;
  if (config.events.enabled) {
    try {
      events = std::make_unique<events::EventsPipeline>(config, snapshots, self_metrics.registry());
    } catch (const std::exception& e) {
      spdlog::critical("events: {}", e.what());
      return 1;
    }
  }
  Scheduler scheduler(self_metrics, [&metrics, &events] {
    metrics.invalidate();
    if (events) events->notify();
  });
  // Fleet (fleet.enabled): what this agent owns; everything when it runs alone.
  fleet::Ownership ownership(config.fleet.enabled);
  for (Module& module : builtin_modules(config, snapshots, ownership)) {
    metrics.add_renderer(std::move(module.renderer));
    scheduler.add(std::move(module.collector));
  }
  std::unique_ptr<fleet::Coordinator> coordinator;
  if (config.fleet.enabled) {
    const std::string node = fleet::node_name(config.fleet);
    // Runs on the coordinator's thread, inside the rebalance callback when roles are lost:
    // /metrics is re-rendered before it returns, so what was lost is gone before anyone
    // else can take it; a role taken starts its collector now, not at its next interval.
    auto on_change = [&metrics, &scheduler, &snapshots, &ownership, &events, had_leader = false,
                      had_shards = 0]() mutable {
      const fleet::OwnedShards owned = ownership.view();
      if (!owned.leader()) snapshots.cluster.publish(nullptr);
      metrics.invalidate();
      (void)metrics.current();
      if (owned.leader() && !had_leader) scheduler.wake("brokers");
      if (owned.count() > had_shards) scheduler.wake("groups");
      had_leader = owned.leader();
      had_shards = owned.count();
      if (events) events->notify();  // hand conditions over / take them over now
    };
    coordinator = std::make_unique<fleet::Coordinator>(config.kafka, config.fleet, node, ownership,
                                                       std::move(on_change));
    metrics.add_renderer([&config, node, &coordinator, &ownership](prom::ExpositionWriter& out) {
      fleet::render_fleet(config.fleet, node, coordinator->status(), ownership.view(), out);
    });
  }

  HttpServer http(metrics, [&scheduler] { return scheduler.statuses(); });
  std::string error;
  if (!http.start(config.http.listen_host, config.http.listen_port, error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  spdlog::info("serving http://{}:{}/metrics", config.http.listen_host, http.bound_port());
  scheduler.start();
  if (coordinator) coordinator->start();
  if (events) {
    events::EventsPipeline::RoleSource roles;
    if (config.fleet.enabled) {
      roles = [&ownership] { return events::Roles{ownership.view(), ownership.leader_since()}; };
    }
    events->start([&scheduler] { return scheduler.statuses(); }, std::move(roles));
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received {}, stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  http.stop();
  // Leave the fleet first, so that the others take over while this agent winds down.
  if (coordinator) coordinator->request_stop();
  if (events) events->request_stop();
  const auto hung = scheduler.stop(kCollectorStopDeadline);
  if (coordinator) coordinator->stop();
  if (events) events->stop();
  for (const auto& name : hung) {
    spdlog::error("collector {} did not stop in time; exiting without waiting for it", name);
  }
  spdlog::info("stopped");
  spdlog::shutdown();
  if (!hung.empty()) std::_Exit(0);  // don't run destructors under a thread still running
  return 0;
}

}  // namespace ks
