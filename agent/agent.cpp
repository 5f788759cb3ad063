#include "agent/agent.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <mutex>

#include "agent/advertised_url.hpp"
#include "agent/api_router.hpp"
#include "agent/api_routes.hpp"
#include "agent/builtin_modules.hpp"
#include "agent/burrow_routes.hpp"
#include "agent/http_server.hpp"
#include "agent/logging.hpp"
#include "agent/metrics_endpoint.hpp"
#include "agent/part_list.hpp"
#include "agent/scheduler.hpp"
#include "agent/self_metrics.hpp"
#include "events/pipeline_part.hpp"
#include "fleet/coordinator.hpp"
#include "fleet/coordinator_part.hpp"
#include "fleet/fleet_metrics.hpp"
#include "fleet/node_identity.hpp"
#include "fleet/ownership.hpp"
#include "kafka/version.hpp"
#include "ks_revision.hpp"  // generated at build time: KS_REVISION

namespace ks {
namespace {

// Shutdown must finish within 5 s of SIGTERM (Kubernetes and systemd escalate to SIGKILL
// soon after): every part is stopped by one deadline, kStopBudget after the signal, which
// leaves a margin for the exit itself. A collector blocked in a Kafka call (up to
// kafka.request_timeout) is abandoned after 2 s of it: its result would be discarded
// anyway, and the event spool's flush needs the rest of the budget.
constexpr std::chrono::milliseconds kStopBudget{4500};
constexpr std::chrono::milliseconds kCollectorStopBudget{2000};

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// A step of the agent's start, in order among its parts, with nothing to stop: the fleet's
// advertised URL, known only once the HTTP server has bound its port (`--listen :0`).
class AdvertiseStep final : public Part {
 public:
  explicit AdvertiseStep(std::function<void()> step) : step_(std::move(step)) {}
  std::string_view name() const override { return "fleet-url"; }
  void start() override { step_(); }
  void request_stop() override {}
  bool stop(Deadline) override { return true; }

 private:
  std::function<void()> step_;
};

// Everything the running agent is made of. Its long-lived parts are in `parts_`, in
// dependency order (a part after those its threads need running), so they start in that
// order and stop in reverse:
//   http        binds first, so a port in use fails startup before any spool or Kafka I/O;
//               it only reads the others (the metrics cache, the collectors' statuses)
//   events      (events.enabled) running before anything that notifies it
//   collectors  the scheduler: every collector on its thread; notifies events, /metrics
//   fleet-url   (fleet.enabled) the advertised URL with the port http bound
//   fleet       (fleet.enabled) last in, first out: on stop it leaves the group before
//               anything else winds down, so the other agents take over at once
class Agent {
 public:
  explicit Agent(const Config& config);
  // Throws, saying which part failed and why; the parts started are stopped again.
  void start() { parts_.start(kStopBudget); }
  // Stops every part by one deadline and logs those that missed it; returns the collectors
  // left running (hung in a call).
  std::vector<std::string> stop();

 private:
  void add_modules();
  void add_events();
  void add_fleet();
  fleet::Coordinator::OnChange on_fleet_change();
  ApiSources api_sources();
  nlohmann::ordered_json agents_json() const;

  const Config& config_;
  SelfMetrics self_metrics_;
  MetricsEndpoint metrics_{self_metrics_};
  Snapshots snapshots_;
  // Groups are sharded by their __consumer_offsets partition where the stream may be the
  // source (docs/fleet.md), by a hash of their name with the admin API.
  fleet::Ownership ownership_{config_.fleet.enabled,
                              config_.collectors.groups.source == "admin_api"
                                  ? fleet::GroupSharding::name_hash
                                  : fleet::GroupSharding::offsets_partition};
  std::vector<std::pair<std::string, FleetRole>> roles_;  // of the collectors, by name
  std::unique_ptr<events::PipelinePart> events_;
  Scheduler scheduler_;
  std::unique_ptr<fleet::Coordinator> coordinator_;
  // In a fleet: this agent's URL as the others give it. Set again once the HTTP server has
  // bound its port (AdvertiseStep), while /api/v1/agents may read it: hence the mutex.
  mutable std::mutex advertised_mutex_;
  std::string advertised_url_;
  std::unique_ptr<Part> advertise_;
  std::unique_ptr<fleet::CoordinatorPart> fleet_;
  HttpServer http_;
  std::unique_ptr<ApiRouter> api_;
  PartList parts_;
};

Agent::Agent(const Config& config)
    : config_(config),
      scheduler_(self_metrics_,
                 [this] {
                   metrics_.invalidate();
                   if (events_) events_->notify();
                 },
                 kCollectorStopBudget),
      http_(config.http, metrics_, [this] { return scheduler_.statuses(); }) {
  add_modules();
  api_ = std::make_unique<ApiRouter>(api_sources());
  http_.add_prefix_route("/api/", api_handler(*api_));
  http_.add_prefix_route("/v3/", burrow_handler(config_, snapshots_));
  parts_.add(http_);
  add_events();
  parts_.add(scheduler_);
  add_fleet();
}

std::vector<std::string> Agent::stop() {
  for (const auto& name : parts_.stop(kStopBudget)) {
    if (name != scheduler_.name()) spdlog::error("{} did not stop in time", name);
  }
  const std::vector<std::string> hung = scheduler_.abandoned();
  for (const auto& name : hung) {
    spdlog::error("collector {} did not stop in time; exiting without waiting for it", name);
  }
  return hung;
}

void Agent::add_modules() {
  // (the coordinator is made after the modules, before anything runs: read at call time)
  auto members = [this]() -> std::optional<FleetMembersSeen> {
    if (!coordinator_) return std::nullopt;
    fleet::CoordinatorStatus status = coordinator_->status();
    if (status.members < 0) return std::nullopt;
    return FleetMembersSeen{std::move(status.member_list), status.members_at};
  };
  for (Module& module : builtin_modules(config_, snapshots_, ownership_, members)) {
    roles_.emplace_back(module.name, module.role);
    metrics_.add_renderer(std::move(module.renderer));
    scheduler_.add(std::move(module.collector));
  }
}

// Health events (events.enabled): evaluated after every collector cycle, spooled, sent.
void Agent::add_events() {
  if (!config_.events.enabled) return;
  events::EventsPipeline::RoleSource roles;
  if (config_.fleet.enabled) {
    roles = [this] { return events::Roles{ownership_.view(), ownership_.leader_since()}; };
  }
  events_ = std::make_unique<events::PipelinePart>(
      config_, snapshots_, self_metrics_.registry(), [this] { return scheduler_.statuses(); },
      std::move(roles));
  parts_.add(*events_);
}

// Fleet (fleet.enabled): what this agent owns; everything when it runs alone.
void Agent::add_fleet() {
  if (!config_.fleet.enabled) return;
  const std::string node = fleet::node_name(config_.fleet);
  FleetConfig fleet = config_.fleet;
  fleet.advertised_url = advertised_url_ = advertised_url(config_);
  coordinator_ = std::make_unique<fleet::Coordinator>(config_.kafka, fleet, node,
                                                      ownership_, on_fleet_change());
  metrics_.add_renderer([this, node](prom::ExpositionWriter& out) {
    fleet::render_fleet(config_.fleet, node, coordinator_->status(), ownership_.view(), out);
  });
  // Between the HTTP server's start and the coordinator's: the URL with the bound port.
  advertise_ = std::make_unique<AdvertiseStep>([this] {
    const std::string url = advertised_url(config_, http_.bound_port());
    coordinator_->advertise(url);
    std::lock_guard lock(advertised_mutex_);
    advertised_url_ = url;
  });
  parts_.add(*advertise_);
  fleet_ = std::make_unique<fleet::CoordinatorPart>(*coordinator_, config_.fleet);
  parts_.add(*fleet_);
}

// Runs on the coordinator's thread, inside the rebalance callback when roles are lost:
// /metrics is re-rendered before it returns, so what was lost is gone before anyone else
// can take it; a role taken starts its collectors now, not at their next interval.
fleet::Coordinator::OnChange Agent::on_fleet_change() {
  return [this, had_leader = false, had_shards = 0]() mutable {
    const fleet::OwnedShards owned = ownership_.view();
    if (!owned.leader()) snapshots_.cluster.publish(nullptr);
    metrics_.withdraw();  // never again the body that had the lost roles, not even meanwhile
    (void)metrics_.current();
    const bool leader_gained = owned.leader() && !had_leader;
    const bool shards_gained = owned.count() > had_shards;
    for (const auto& [name, role] : roles_) {
      if ((role == FleetRole::leader && leader_gained) ||
          (role == FleetRole::group_shards && shards_gained)) {
        scheduler_.wake(name);
      }
    }
    had_leader = owned.leader();
    had_shards = owned.count();
    if (events_) events_->notify();  // hand conditions over / take them over now
  };
}

// The JSON API reads the snapshots, and in a fleet what this agent owns.
ApiSources Agent::api_sources() {
  ApiSources sources;
  sources.snapshots = &snapshots_;
  if (config_.fleet.enabled) {
    sources.ownership = [this] { return ownership_.view(); };
    sources.fleet_members = [this] {
      return coordinator_ ? coordinator_->status().member_list : std::vector<fleet::FleetMember>{};
    };
  }
  sources.agents = [this] { return agents_json(); };
  sources.events_enabled = config_.events.enabled;
  return sources;
}

// This agent and its roles; in a fleet, its coordinator's view of the fleet's group.
nlohmann::ordered_json Agent::agents_json() const {
  const fleet::OwnedShards owned = ownership_.view();
  std::string url;
  {
    std::lock_guard lock(advertised_mutex_);
    url = advertised_url_;
  }
  nlohmann::ordered_json self{{"node", fleet::node_name(config_.fleet)},
                              {"url", url.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(url)},
                              {"fleet_enabled", config_.fleet.enabled},
                              {"leader", owned.leader()},
                              {"owns_everything", owned.everything}};
  if (coordinator_) {
    const fleet::CoordinatorStatus st = coordinator_->status();
    self["fleet"] = {{"group", st.group},          {"state", st.state},
                     {"partitions", st.partitions}, {"assigned_partitions", st.assigned},
                     {"lease_valid", st.lease_valid},
                     {"join_error", st.join_error.empty() ? nlohmann::ordered_json(nullptr)
                                                          : nlohmann::ordered_json(st.join_error)},
                     {"members", st.members < 0 ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(st.members)}};
  }
  nlohmann::ordered_json roles = nlohmann::ordered_json::object();
  for (const auto& [name, role] : roles_) {
    const bool held = role == FleetRole::every_agent || (role == FleetRole::leader && owned.leader()) ||
                      (role == FleetRole::group_shards && (owned.everything || owned.count() > 0));
    roles[name] = held;
  }
  self["collectors_active"] = std::move(roles);
  self["self"] = true;
  nlohmann::ordered_json agents = nlohmann::ordered_json::array({std::move(self)});
  if (coordinator_) {
    // The others, as the fleet's group last described its members.
    const std::string node = fleet::node_name(config_.fleet);
    for (const fleet::FleetMember& m : coordinator_->status().member_list) {
      if (m.node == node) continue;
      const bool leader = std::find(m.partitions.begin(), m.partitions.end(), 0) != m.partitions.end();
      agents.push_back({{"node", m.node}, {"host", m.host},
                        {"url", m.url.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(m.url)},
                        {"fleet_enabled", true}, {"leader", leader},
                        {"fleet", {{"assigned_partitions", m.partitions}}}, {"self", false}});
    }
  }
  return {{"agents", std::move(agents)}};
}

void wait_for_termination(const sigset_t& signals) {
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received {}, stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
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
               KS_REVISION, kafka::library_version(),
               config.source.empty() ? "built-in defaults" : config.source);

  {
    Agent agent(config);
    try {
      agent.start();
    } catch (const std::exception& e) {
      spdlog::critical("{}", e.what());
      return 1;
    }
    wait_for_termination(signals);
    if (!agent.stop().empty()) {
      spdlog::info("stopped");
      spdlog::shutdown();
      std::_Exit(0);  // don't run destructors under a thread still running
    }
  }  // destroyed while the logger lives: destructors log too (the probe leaving its group)
  spdlog::info("stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace ks
