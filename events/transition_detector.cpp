#include "events/transition_detector.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <set>

#include "events/cloudevent.hpp"

namespace ks::events {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxListedPartitions = 50;  // partition ids listed in an event

std::string type_name(std::string_view short_name) {
  return std::string(kEventTypePrefix) + std::string(short_name);
}

// Rounded for humans and stable JSON: 0.912345678 -> 0.9123.
double round4(double v) { return std::round(v * 10000.0) / 10000.0; }

Json partition_list(const std::vector<std::int32_t>& ids) {
  Json list = Json::array();
  for (std::size_t i = 0; i < ids.size() && i < kMaxListedPartitions; ++i) list.push_back(ids[i]);
  return list;
}

// The lag statuses an event can report, most severe first; a group's status for events is
// the most severe of its partitions' (Burrow's group rule folds STOP, STALL and REWIND
// into ERR, which says less).
constexpr std::array<LagStatus, 5> kStatusRank{LagStatus::stop, LagStatus::stall,
                                               LagStatus::rewind, LagStatus::err,
                                               LagStatus::warn};

int rank_of(LagStatus s) {
  for (std::size_t i = 0; i < kStatusRank.size(); ++i) {
    if (kStatusRank[i] == s) return static_cast<int>(i);
  }
  return static_cast<int>(kStatusRank.size());  // OK
}

Severity severity_of(LagStatus s) {
  return s == LagStatus::warn || s == LagStatus::rewind ? Severity::warning : Severity::critical;
}

std::string short_type(const std::string& type) {
  return type.starts_with(kEventTypePrefix) ? type.substr(kEventTypePrefix.size()) : type;
}

std::optional<double> memory_field(const HostSnapshot& host, std::string_view name) {
  for (const MeminfoField& f : host.memory) {
    if (f.name == name) return f.value;
  }
  return std::nullopt;
}

std::string json_string(const Json& observed, const char* key) {
  const auto it = observed.find(key);
  return it != observed.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Domain domain_of(std::string_view type) {
  std::string_view name = type;
  if (name.starts_with(kEventTypePrefix)) name.remove_prefix(kEventTypePrefix.size());
  if (name.starts_with("group.")) return Domain::groups;
  if (name.starts_with("host.")) return Domain::host;
  if (name.starts_with("agent.")) return Domain::agent;
  if (name.starts_with("probe.")) return Domain::probe;
  return Domain::cluster;
}

TransitionDetector::TransitionDetector(const EventsConfig& config, std::string node_name,
                     std::chrono::milliseconds lag_status_warmup)
    : config_(config), node_name_(std::move(node_name)), lag_status_warmup_(lag_status_warmup) {
  if (!config_.cluster_name.empty()) cluster_label_ = config_.cluster_name;
  for (const GroupEventOverride& o : config_.group_overrides) {
    try {
      override_patterns_.emplace_back(o.group, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      override_patterns_.emplace_back("(?!)");  // validated at load; never matches here
    }
  }
}

std::string TransitionDetector::source() const {
  return fmt::format("/kafka-sentinel/{}/{}", cluster_label_, node_name_);
}

GroupEventThresholds TransitionDetector::thresholds_for(const std::string& group) const {
  GroupEventThresholds t = config_.group_thresholds;
  for (std::size_t i = 0; i < config_.group_overrides.size(); ++i) {
    if (!std::regex_match(group, override_patterns_[i])) continue;
    const GroupEventOverride& o = config_.group_overrides[i];
    if (o.lag_messages) t.lag_messages = *o.lag_messages;
    if (o.lag_seconds) t.lag_seconds = *o.lag_seconds;
    break;
  }
  return t;
}

bool TransitionDetector::tracked(const HealthEvent& probe) const {
  return conditions_.contains(probe.condition_key());
}

HealthEvent TransitionDetector::make_event(const HealthEvent& base, EventState state, std::string summary,
                                  TimePoint since, TimePoint now, std::string firing_id) const {
  HealthEvent e = base;
  e.source = source();
  e.state = state;
  e.summary = std::move(summary);
  e.since = since;
  e.time = now;
  e.firing_id = std::move(firing_id);
  assign_id(e);
  return e;
}

void TransitionDetector::clear_condition(std::map<std::string, Condition>::iterator it,
                                         const HealthEvent& base, std::string summary,
                                         Hysteresis hysteresis, TimePoint now,
                                         std::vector<HealthEvent>& out) {
  Condition& c = it->second;
  if (!c.firing) {
    conditions_.erase(it);  // a streak towards firing is broken
    return;
  }
  if (++c.streak < hysteresis.resolve) return;
  out.push_back(make_event(base, EventState::resolved, std::move(summary), c.fired_since, now,
                           c.fired_id));
  conditions_.erase(it);
}

void TransitionDetector::observe_condition(Domain domain, Hysteresis hysteresis, Observation& obs,
                                           TimePoint now, std::vector<HealthEvent>& out) {
  const std::string key = obs.event.condition_key();
  auto it = conditions_.find(key);
  if (!obs.holds) {
    if (it != conditions_.end()) {
      clear_condition(it, obs.event, std::move(obs.resolved_summary), hysteresis, now, out);
    }
    return;
  }
  if (it == conditions_.end()) {
    Condition fresh;
    fresh.domain = domain;
    it = conditions_.emplace(key, std::move(fresh)).first;
  }
  Condition& c = it->second;
  c.base = obs.event;
  c.base.summary = obs.firing_summary;  // the firing conditions' listing (firing()) shows it
  if (c.firing) {
    c.streak = 0;  // a clear streak is broken
    return;
  }
  if (c.streak == 0) c.streak_start = now;
  if (++c.streak < hysteresis.fire) return;
  HealthEvent fired =
      make_event(obs.event, EventState::firing, std::move(obs.firing_summary), c.streak_start, now);
  c.firing = true;
  c.streak = 0;
  c.fired_id = fired.id;
  c.fired_since = fired.since;
  out.push_back(std::move(fired));
}

std::vector<HealthEvent> TransitionDetector::process(Domain domain, Hysteresis hysteresis,
                                            std::vector<Observation> observations,
                                            const Frozen& frozen, TimePoint now) {
  std::vector<HealthEvent> out;
  std::set<std::string> seen;
  for (Observation& obs : observations) {
    seen.insert(obs.event.condition_key());
    observe_condition(domain, hysteresis, obs, now, out);
  }
  // Conditions of this domain nobody observed: their entity is gone (resolve), or cannot be
  // judged this cycle (frozen).
  for (auto it = conditions_.begin(); it != conditions_.end();) {
    auto next = std::next(it);
    const Condition& c = it->second;
    if (c.domain == domain && !seen.contains(it->first) && !(frozen && frozen(c.base))) {
      HealthEvent base = c.base;
      base.observed["reason"] = "no longer reported";
      clear_condition(it, base,
                      fmt::format("{} resolved: {} is no longer reported", short_type(base.type),
                                  base.subject),
                      hysteresis, now, out);
    }
    it = next;
  }
  return out;
}

TransitionDetector::Observation TransitionDetector::observe_reachability(
    const ClusterSnapshot& snapshot) const {
  Observation o;
  o.event.type = type_name("cluster.unreachable");
  o.event.subject = "cluster/" + cluster_label_;
  // Firing under another name (the cluster id was not known yet): resolve that one.
  const std::string prefix = o.event.type + "|";
  for (auto it = conditions_.lower_bound(prefix);
       it != conditions_.end() && it->first.starts_with(prefix); ++it) {
    if (it->second.firing) o.event.subject = it->second.base.subject;
  }
  o.event.severity = Severity::critical;
  o.event.observed = {{"cluster", cluster_label_},
                      {"reachable", snapshot.up},
                      {"error", snapshot.error},
                      {"known_brokers", snapshot.brokers.size()}};
  o.holds = !snapshot.up;
  o.firing_summary = snapshot.error.empty()
                         ? fmt::format("cluster {} is unreachable", cluster_label_)
                         : fmt::format("cluster {} is unreachable: {}", cluster_label_, snapshot.error);
  o.resolved_summary = fmt::format("cluster {} is reachable again", cluster_label_);
  return o;
}

void TransitionDetector::observe_brokers(const ClusterSnapshot& snapshot,
                                         std::vector<Observation>& obs,
                                         std::set<std::int32_t>& listed) {
  for (const BrokerState& b : snapshot.brokers) {
    if (b.up) brokers_answered_.insert(b.id);
    // In the metadata but not answering, and never answered since the agent started: right
    // after a start its first requests (new connections, a broker's cold JVM) may simply
    // be slow. Judged once it has answered, or after the startup grace.
    if (b.in_metadata && !b.up && !brokers_answered_.contains(b.id) &&
        cluster_cycles_ <= kBrokerStartupGraceCycles) {
      continue;
    }
    listed.insert(b.id);
    Observation o;
    o.event.type = type_name("broker.down");
    o.event.subject = fmt::format("broker/{}", b.id);
    o.event.severity = Severity::critical;
    o.event.observed = {{"broker", b.id},
                        {"address", b.address()},
                        {"rack", b.rack},
                        {"in_metadata", b.in_metadata},
                        {"up", b.up},
                        {"cluster_reachable", snapshot.up},
                        {"last_seen", format_time(b.last_seen)}};
    o.holds = !b.up;
    if (!o.holds && !tracked(o.event)) continue;
    o.firing_summary =
        !snapshot.up ? fmt::format("broker {} ({}) is down: the cluster is unreachable", b.id, b.address())
        : b.in_metadata ? fmt::format("broker {} ({}) is not answering", b.id, b.address())
                        : fmt::format("broker {} ({}) is down: not in the cluster metadata", b.id, b.address());
    o.resolved_summary = fmt::format("broker {} ({}) is back up", b.id, b.address());
    obs.push_back(std::move(o));
  }
}

void TransitionDetector::observe_topic(const TopicState& t, std::vector<Observation>& obs) const {
  std::vector<std::int32_t> offline, urp, under_min;
  for (const PartitionState& p : t.partitions) {
    if (p.offline) offline.push_back(p.id);
    if (p.under_replicated) urp.push_back(p.id);
    if (p.under_min_isr) under_min.push_back(p.id);
  }
  const auto add = [&](std::string_view name, const std::vector<std::int32_t>& ids,
                       Severity severity, std::string_view what, Json thresholds) {
    Observation o;
    o.event.type = type_name(name);
    o.event.subject = "topic/" + t.name;
    o.event.severity = severity;
    o.holds = !ids.empty();
    if (!o.holds && !tracked(o.event)) return;
    o.event.observed = {{"topic", t.name},
                        {"partitions", t.partitions.size()},
                        {"affected_partitions", ids.size()},
                        {"partition_ids", partition_list(ids)}};
    o.event.thresholds = std::move(thresholds);
    o.firing_summary = fmt::format("topic {}: {} of {} partitions {}", t.name, ids.size(),
                                   t.partitions.size(), what);
    o.resolved_summary = fmt::format("topic {}: no partition {} any more", t.name, what);
    obs.push_back(std::move(o));
  };
  add("topic.partitions_offline", offline, Severity::critical, "offline (no leader)", Json::object());
  add("topic.under_replicated", urp, Severity::warning, "under-replicated", Json::object());
  Json min_isr = Json::object();
  if (t.min_insync_replicas) min_isr["min_insync_replicas"] = *t.min_insync_replicas;
  add("topic.under_min_isr", under_min, Severity::critical, "under min ISR", std::move(min_isr));
}

std::vector<HealthEvent> TransitionDetector::on_cluster(const ClusterSnapshot& snapshot) {
  if (config_.cluster_name.empty() && snapshot.up && !snapshot.cluster_id.empty()) {
    cluster_label_ = snapshot.cluster_id;
  }
  const TimePoint now = snapshot.taken_at;
  std::vector<Observation> obs;
  obs.push_back(observe_reachability(snapshot));

  ++cluster_cycles_;
  std::set<std::int32_t> listed;
  observe_brokers(snapshot, obs, listed);
  if (snapshot.up) {
    for (const TopicState& t : snapshot.topics) observe_topic(t, obs);
  }

  const bool up = snapshot.up;
  const Frozen frozen = [&listed, up](const HealthEvent& base) {
    if (base.type == type_name("broker.down")) {
      // A broker not listed: not known to this process (restarted during an outage), or
      // forgotten after broker_down_retention. Either way nothing says it is up.
      const auto it = base.observed.find("broker");
      return it == base.observed.end() || !it->is_number_integer() ||
             !listed.contains(it->get<std::int32_t>());
    }
    if (base.type == type_name("cluster.unreachable")) return false;
    return !up;  // topics: nothing is known of them while the cluster is unreachable
  };
  return process(Domain::cluster, {config_.fire_cycles, config_.resolve_cycles}, std::move(obs),
                 frozen, now);
}

void TransitionDetector::observe_lag_status(const GroupLag& g, TimePoint now, TimePoint first_seen,
                                            std::vector<Observation>& obs,
                                            GroupsUnjudged& unjudged) const {
  // Lag status: the most severe partition status.
  std::map<std::string, int> by_status;
  LagStatus worst = LagStatus::notfound;
  bool lagging = false;
  for (const GroupTopicLag& t : g.topics) {
    for (const GroupPartitionLag& p : t.partitions) {
      if (p.status == LagStatus::notfound) continue;
      ++by_status[std::string(status_name(p.status))];
      if (worst == LagStatus::notfound || rank_of(p.status) < rank_of(worst)) worst = p.status;
      lagging = lagging || p.lag() > 0;
    }
  }
  // STOP and STALL need a window of no progress, WARN a window of commits: until the
  // collector has watched the group that long (after an agent restart, say), OK with lag
  // only means "too little history". It must not resolve a condition restored from before
  // the restart, which would then fire a second time once the window is full.
  const bool status_warming_up =
      worst == LagStatus::ok && lagging && now - first_seen < lag_status_warmup_;
  if (worst == LagStatus::notfound || status_warming_up) {
    unjudged.status.insert(g.name);
    return;
  }
  for (const LagStatus s : kStatusRank) {
    Observation o;
    o.event.type = type_name("group.lag_status");
    o.event.subject = "group/" + g.name;
    o.event.condition = std::string(status_name(s));
    o.event.severity = severity_of(s);
    o.holds = worst == s;
    if (!o.holds && !tracked(o.event)) continue;
    Json counts = Json::object();
    for (const auto& [name, n] : by_status) counts[name] = n;
    o.event.observed = {{"group", g.name},
                        {"status", status_name(worst)},
                        {"group_status", status_name(g.status)},
                        {"partitions_by_status", std::move(counts)},
                        {"state", g.state},
                        {"members", g.members}};
    o.firing_summary = fmt::format("group {}: lag status {}", g.name, status_name(s));
    o.resolved_summary =
        fmt::format("group {}: lag status no longer {} (now {})", g.name, status_name(s),
                    status_name(worst));
    obs.push_back(std::move(o));
  }
}

void TransitionDetector::observe_group_state(const GroupLag& g, std::vector<Observation>& obs,
                                             GroupsUnjudged& unjudged) const {
  if (!g.described || g.state == "Unknown") {
    unjudged.state.insert(g.name);
    return;
  }
  for (const std::string& state : config_.group_states) {
    Observation o;
    o.event.type = type_name("group.state");
    o.event.subject = "group/" + g.name;
    o.event.condition = state;
    o.event.severity = state == "Dead" ? Severity::critical : Severity::warning;
    o.holds = g.state == state;
    if (!o.holds && !tracked(o.event)) continue;
    o.event.observed = {{"group", g.name},
                        {"state", g.state},
                        {"members", g.members},
                        {"protocol", g.protocol}};
    o.event.thresholds = {{"states", config_.group_states}};
    o.firing_summary = fmt::format("group {} is {} ({} members)", g.name, state, g.members);
    o.resolved_summary = fmt::format("group {} is no longer {} (now {}, {} members)", g.name,
                                     state, g.state, g.members);
    obs.push_back(std::move(o));
  }
}

void TransitionDetector::observe_lag_messages(const GroupLag& g, const GroupTopicLag& t,
                                              std::int64_t limit,
                                              std::vector<Observation>& obs) const {
  Observation o;
  o.event.type = type_name("group.lag_messages");
  o.event.subject = fmt::format("group/{}/topic/{}", g.name, t.topic);
  o.event.severity = Severity::warning;
  o.holds = t.lag_sum > limit;
  if (!o.holds && !tracked(o.event)) return;
  o.event.observed = {{"group", g.name}, {"topic", t.topic}};
  o.event.observed["lag_messages"] = t.lag_sum;
  o.event.observed["partitions_with_lag"] = t.partitions_with_lag;
  if (t.produced_per_second) o.event.observed["produced_per_second"] = round4(*t.produced_per_second);
  if (t.consumed_per_second) o.event.observed["consumed_per_second"] = round4(*t.consumed_per_second);
  o.event.thresholds = {{"lag_messages", limit}};
  o.firing_summary = fmt::format("group {} on topic {}: lag {} messages, above {}", g.name,
                                 t.topic, t.lag_sum, limit);
  o.resolved_summary = fmt::format("group {} on topic {}: lag {} messages, back under {}",
                                   g.name, t.topic, t.lag_sum, limit);
  obs.push_back(std::move(o));
}

void TransitionDetector::observe_lag_seconds(const GroupsSnapshot& snapshot, const GroupLag& g,
                                             const GroupTopicLag& t, double limit,
                                             std::vector<Observation>& obs,
                                             GroupsUnjudged& unjudged) const {
  std::optional<double> max_seconds;
  bool lower_bound = false;
  for (const GroupPartitionLag& p : t.partitions) {
    const std::optional<double> seconds = snapshot.lag_seconds(p);
    if (!seconds) continue;
    if (!max_seconds || *seconds > *max_seconds) {
      max_seconds = *seconds;
      lower_bound = p.lag_seconds_lower_bound;
    }
  }
  if (!max_seconds && t.lag_sum > 0) {
    unjudged.lag_seconds.emplace(g.name, t.topic);  // lag, but too little history
    return;
  }
  const double seconds = max_seconds.value_or(0.0);
  Observation o;
  o.event.type = type_name("group.lag_seconds");
  o.event.subject = fmt::format("group/{}/topic/{}", g.name, t.topic);
  o.event.severity = Severity::warning;
  o.holds = seconds > limit;
  if (!o.holds && !tracked(o.event)) return;
  o.event.observed = {{"group", g.name}, {"topic", t.topic}};
  o.event.observed["lag_seconds"] = round4(seconds);
  o.event.observed["lag_seconds_lower_bound"] = lower_bound;
  o.event.observed["lag_messages"] = t.lag_sum;
  o.event.thresholds = {{"lag_seconds", limit}};
  o.firing_summary = fmt::format("group {} on topic {}: {}lag {:.0f}s, above {:.0f}s", g.name,
                                 t.topic, lower_bound ? "at least " : "", seconds, limit);
  o.resolved_summary = fmt::format("group {} on topic {}: lag {:.0f}s, back under {:.0f}s",
                                   g.name, t.topic, seconds, limit);
  obs.push_back(std::move(o));
}

void TransitionDetector::observe_messages_expired(const GroupLag& g, const GroupTopicLag& t,
                                                  std::vector<Observation>& obs) const {
  Observation o;
  o.event.type = type_name("group.messages_expired");
  o.event.subject = fmt::format("group/{}/topic/{}", g.name, t.topic);
  o.event.severity = Severity::critical;
  o.holds = t.expired_sum > 0;
  if (!o.holds && !tracked(o.event)) return;
  std::vector<std::int32_t> ids;
  for (const GroupPartitionLag& p : t.partitions) {
    if (p.expired() > 0) ids.push_back(p.partition);
  }
  o.event.observed = {{"group", g.name}, {"topic", t.topic}};
  o.event.observed["expired_messages"] = t.expired_sum;
  o.event.observed["partition_ids"] = partition_list(ids);
  o.firing_summary =
      fmt::format("group {} on topic {}: {} messages deleted by retention before being "
                  "consumed", g.name, t.topic, t.expired_sum);
  o.resolved_summary = fmt::format(
      "group {} on topic {}: committed offsets are within the log again", g.name, t.topic);
  obs.push_back(std::move(o));
}

std::vector<HealthEvent> TransitionDetector::on_groups(const GroupsSnapshot& snapshot,
                                              const GroupOwnership& owns) {
  const TimePoint now = snapshot.taken_at;
  std::vector<Observation> obs;
  GroupsUnjudged unjudged;
  for (const GroupLag& g : snapshot.groups) {
    if (owns && !owns(g.name)) continue;  // another agent's (a cycle from before a handover)
    unjudged.listed.insert(g.name);
    const TimePoint first_seen = group_first_seen_.try_emplace(g.name, now).first->second;
    observe_lag_status(g, now, first_seen, obs, unjudged);
    observe_group_state(g, obs, unjudged);
    // Per topic: lag thresholds and messages lost to retention.
    if (!g.offsets_fetched) {
      unjudged.topics.insert(g.name);
      continue;
    }
    const GroupEventThresholds limits = thresholds_for(g.name);
    for (const GroupTopicLag& t : g.topics) {
      if (limits.lag_messages > 0) observe_lag_messages(g, t, limits.lag_messages, obs);
      if (limits.lag_seconds.count() > 0) {
        const double limit = std::chrono::duration<double>(limits.lag_seconds).count();
        observe_lag_seconds(snapshot, g, t, limit, obs, unjudged);
      }
      observe_messages_expired(g, t, obs);
    }
  }

  const bool complete = snapshot.cycle.list_complete;
  const std::set<std::string>& listed = unjudged.listed;
  if (complete) {
    std::erase_if(group_first_seen_, [&listed](const auto& kv) { return !listed.contains(kv.first); });
  }
  const Frozen frozen = [&](const HealthEvent& base) {
    const std::string group = json_string(base.observed, "group");
    if (owns && !owns(group)) return true;  // not ours to judge
    // Not listed: deleted (resolve), unless some broker did not answer the listing.
    if (!listed.contains(group)) return !complete;
    const std::string type = short_type(base.type);
    if (type == "group.lag_status") return unjudged.status.contains(group);
    if (type == "group.state") return unjudged.state.contains(group);
    if (unjudged.topics.contains(group)) return true;
    if (type == "group.lag_seconds") {
      return unjudged.lag_seconds.contains({group, json_string(base.observed, "topic")});
    }
    return false;
  };
  return process(Domain::groups, {config_.fire_cycles, config_.resolve_cycles}, std::move(obs),
                 frozen, now);
}

std::vector<HealthEvent> TransitionDetector::on_host(const HostSnapshot& snapshot) {
  const TimePoint now = snapshot.taken_at;
  std::vector<Observation> obs;
  const std::string subject = "host/" + node_name_;
  bool cpu_known = false, memory_known = false;
  if (snapshot.cpu_utilization_ratio && config_.host_cpu_utilization > 0) {
    cpu_known = true;
    const double ratio = *snapshot.cpu_utilization_ratio;
    Observation o;
    o.event.type = type_name("host.cpu_high");
    o.event.subject = subject;
    o.event.severity = Severity::warning;
    o.holds = ratio > config_.host_cpu_utilization;
    o.event.observed = {{"host", node_name_},
                        {"cpu_utilization_ratio", round4(ratio)},
                        {"cpus", snapshot.cpu.per_cpu.size()},
                        {"load1", round4(snapshot.load.load1)}};
    o.event.thresholds = {{"cpu_utilization_ratio", config_.host_cpu_utilization},
                          {"cycles", config_.host_cycles}};
    o.firing_summary = fmt::format("host {}: CPU {:.0f}% busy, above {:.0f}%", node_name_,
                                   ratio * 100, config_.host_cpu_utilization * 100);
    o.resolved_summary = fmt::format("host {}: CPU {:.0f}% busy, back under {:.0f}%", node_name_,
                                     ratio * 100, config_.host_cpu_utilization * 100);
    obs.push_back(std::move(o));
  }
  if (snapshot.memory_available_ratio && config_.host_memory_available > 0) {
    memory_known = true;
    const double ratio = *snapshot.memory_available_ratio;
    Observation o;
    o.event.type = type_name("host.memory_pressure");
    o.event.subject = subject;
    o.event.severity = Severity::warning;
    o.holds = ratio < config_.host_memory_available;
    o.event.observed = {{"host", node_name_}, {"memory_available_ratio", round4(ratio)}};
    if (auto v = memory_field(snapshot, "MemAvailable")) o.event.observed["memory_available_bytes"] = *v;
    if (auto v = memory_field(snapshot, "MemTotal")) o.event.observed["memory_total_bytes"] = *v;
    o.event.thresholds = {{"memory_available_ratio", config_.host_memory_available},
                          {"cycles", config_.host_cycles}};
    o.firing_summary = fmt::format("host {}: {:.1f}% of memory available, below {:.1f}%",
                                   node_name_, ratio * 100, config_.host_memory_available * 100);
    o.resolved_summary = fmt::format("host {}: {:.1f}% of memory available, back above {:.1f}%",
                                     node_name_, ratio * 100, config_.host_memory_available * 100);
    obs.push_back(std::move(o));
  }
  const Frozen frozen = [&](const HealthEvent& base) {
    const std::string type = short_type(base.type);
    if (type == "host.cpu_high") return !cpu_known && config_.host_cpu_utilization > 0;
    if (type == "host.memory_pressure") return !memory_known && config_.host_memory_available > 0;
    return false;
  };
  return process(Domain::host, {config_.host_cycles, config_.host_cycles}, std::move(obs), frozen,
                 now);
}

std::vector<HealthEvent> TransitionDetector::on_collector_cycle(const std::string& collector, bool ok,
                                                       const std::string& error, TimePoint now) {
  int& failures = collector_failures_[collector];
  failures = ok ? 0 : failures + 1;
  std::vector<Observation> obs;
  // Between the first failure and the N-th the condition is neither new nor over.
  if (ok || failures >= config_.collector_failure_cycles) {
    Observation o;
    o.event.type = type_name("agent.collector_failing");
    o.event.subject = "collector/" + collector;
    o.event.severity = Severity::warning;
    o.holds = !ok;
    if (o.holds || tracked(o.event)) {
      o.event.observed = {{"collector", collector}, {"consecutive_failures", failures}};
      if (!ok) o.event.observed["error"] = error;
      o.event.thresholds = {{"consecutive_failures", config_.collector_failure_cycles}};
      o.firing_summary = fmt::format("collector {} failed {} cycles in a row: {}", collector,
                                     failures, error);
      o.resolved_summary = fmt::format("collector {} succeeds again", collector);
      obs.push_back(std::move(o));
    }
  }
  // Only this collector's condition is judged here, and only once it is clear or failing
  // for long enough.
  const std::string subject = "collector/" + collector;
  const bool judged = !obs.empty();
  const Frozen frozen = [&subject, judged](const HealthEvent& base) {
    return !judged || base.subject != subject;
  };
  return process(Domain::agent, {1, 1}, std::move(obs), frozen, now);
}

std::size_t TransitionDetector::forget(const std::function<bool(const HealthEvent&)>& which) {
  return static_cast<std::size_t>(
      std::erase_if(conditions_, [&which](const auto& kv) { return which(kv.second.base); }));
}

std::size_t TransitionDetector::firing_count() const {
  return static_cast<std::size_t>(std::count_if(
      conditions_.begin(), conditions_.end(), [](const auto& kv) { return kv.second.firing; }));
}

std::vector<HealthEvent> TransitionDetector::firing() const {
  std::vector<HealthEvent> out;
  for (const auto& [key, c] : conditions_) {
    if (!c.firing) continue;
    HealthEvent fired = c.base;
    fired.id = c.fired_id;
    fired.since = c.fired_since;
    fired.state = EventState::firing;
    if (fired.source.empty()) fired.source = source();
    if (fired.time == TimePoint{}) fired.time = c.fired_since;
    out.push_back(std::move(fired));
  }
  return out;
}

nlohmann::json TransitionDetector::save_state() const {
  nlohmann::json firing = nlohmann::json::array();
  for (const HealthEvent& fired : this->firing()) {
    firing.push_back(nlohmann::json::parse(to_cloudevent(fired)));
  }
  return {{"version", 1}, {"cluster_label", cluster_label_}, {"firing", std::move(firing)}};
}

std::size_t TransitionDetector::restore_state(const nlohmann::json& state) {
  if (!state.is_object()) return 0;
  if (const auto it = state.find("cluster_label");
      config_.cluster_name.empty() && it != state.end() && it->is_string() &&
      !it->get_ref<const std::string&>().empty()) {
    cluster_label_ = it->get<std::string>();
  }
  std::size_t restored = 0;
  if (const auto it = state.find("firing"); it != state.end() && it->is_array()) {
    for (const auto& item : *it) {
      const ParsedEvent parsed = parse_cloudevent(item.dump());
      if (!parsed.event || parsed.event->state != EventState::firing) continue;
      replay(*parsed.event);
      ++restored;
    }
  }
  return restored;
}

void TransitionDetector::replay(const HealthEvent& event) {
  const std::string key = event.condition_key();
  if (event.state == EventState::resolved) {
    conditions_.erase(key);
    return;
  }
  Condition c;
  c.domain = domain_of(event.type);
  c.firing = true;
  c.base = event;
  c.fired_id = event.id;
  c.fired_since = event.since;
  conditions_[key] = std::move(c);
}

}  // namespace ks::events
