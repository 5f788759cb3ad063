#include "events/pipeline.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "events/cloudevent.hpp"
#include "events/events_topic_reader.hpp"

namespace ks::events {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr std::size_t kMaxUnspooled = 10000;

// Replaces `path` with `text` atomically and durably (temp file, fsync, rename, fsync dir).
void write_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) throw SpoolError(fmt::format("cannot create {}: {}", tmp.string(), std::strerror(errno)));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      close(fd);
      throw SpoolError(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(error)));
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = fdatasync(fd) == 0;
  close(fd);
  if (!synced || rename(tmp.c_str(), path.c_str()) != 0) {
    throw SpoolError(fmt::format("cannot replace {}: {}", path.string(), std::strerror(errno)));
  }
  const int dir = open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)fsync(dir);
    close(dir);
  }
}

std::string log_line(const HealthEvent& e) {
  return fmt::format("event {} {} {} [{}] id={}: {}", state_name(e.state), short_type(e.type),
                     e.subject, severity_name(e.severity), e.id, e.summary);
}

}  // namespace

std::string agent_node_name(const EventsConfig& config) {
  if (!config.node_name.empty()) return config.node_name;
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) == 0 && name[0] != '\0') return name.data();
  return "unknown";
}

EventsPipeline::EventsPipeline(const Config& config, Snapshots& snapshots,
                               prometheus::Registry& registry)
    : config_(config.events),
      kafka_(config.kafka),
      snapshots_(snapshots),
      metrics_(registry),
      evaluator_(config.events, agent_node_name(config.events),
                 config.collectors.groups.interval * config.collectors.groups.status_window_commits) {
  spool_ = std::make_unique<Spool>(
      fs::path(config_.spool_dir),
      SpoolLimits{config_.spool_max_bytes, static_cast<std::size_t>(config_.spool_max_events)});
  const SpoolRecovery& recovery = spool_->recovery();
  for (const std::string& problem : recovery.problems) spdlog::error("events spool: {}", problem);
  if (recovery.damaged()) {
    spdlog::error("events spool: recovered {} pending event(s){}", recovery.records,
                  recovery.damaged_copy.empty()
                      ? std::string()
                      : fmt::format("; the damaged file is kept as {}", recovery.damaged_copy));
  }
  if (recovery.discarded_bytes > 0) metrics_.discarded_bytes(recovery.discarded_bytes);
  for (std::uint64_t i = 0; i < recovery.dropped_over_limits; ++i) {
    metrics_.count("unknown", "unknown", "dropped");
  }
  restore();
  metrics_.spool_size(spool_->depth(), spool_->bytes());
  producer_ = std::make_unique<EventProducer>(config.kafka, config_, *spool_, metrics_,
                                              config.fleet.enabled);
  spdlog::info("events: publishing to topic {} as {}; spool {} ({} pending event(s))",
               config_.topic, evaluator_.source(), config_.spool_dir, spool_->depth());
}

EventsPipeline::~EventsPipeline() { stop(); }

void EventsPipeline::restore() {
  const fs::path path = fs::path(config_.spool_dir) / kStateFile;
  std::uint64_t spool_seq = 0;
  std::ifstream in(path);
  if (in) {
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    const auto state = nlohmann::json::parse(text, nullptr, false);
    if (state.is_object()) {
      const std::size_t firing = evaluator_.restore_state(state);
      if (const auto it = state.find("spool_seq"); it != state.end() && it->is_number_unsigned()) {
        spool_seq = it->get<std::uint64_t>();
      }
      spdlog::info("events: restored {} firing condition(s) from {}", firing, path.string());
    } else {
      spdlog::error("events: {} is not valid JSON; conditions firing before the restart may "
                    "fire again", path.string());
    }
  }
  // Spooled after the last save (a crash in between): apply them too.
  std::size_t replayed = 0;
  for (const SpoolRecord& r : spool_->pending()) {
    if (r.seq <= spool_seq) continue;
    const ParsedEvent parsed = parse_cloudevent(r.value);
    if (!parsed.event) continue;
    evaluator_.replay(*parsed.event);
    ++replayed;
  }
  if (replayed > 0) spdlog::info("events: replayed {} spooled event(s) into the evaluator", replayed);
}

void EventsPipeline::start(StatusSource statuses, RoleSource roles) {
  statuses_ = std::move(statuses);
  roles_ = std::move(roles);
  if (roles_) {
    // A fleet agent starts owning nothing: cluster and group conditions restored from its
    // state file belong to whoever holds those roles now (seeded again if it gains them).
    const std::size_t dropped = evaluator_.forget([](const HealthEvent& e) {
      const Domain d = domain_of(e.type);
      return d == Domain::cluster || d == Domain::groups;
    });
    if (dropped > 0) {
      spdlog::info("events: fleet: {} restored cluster/group condition(s) wait for their role",
                   dropped);
    }
  }
  producer_->start();
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void EventsPipeline::notify() {
  {
    std::lock_guard lock(wake_mutex_);
    pending_wake_ = true;
  }
  wake_.notify_all();
}

void EventsPipeline::request_stop() {
  if (thread_.joinable()) thread_.request_stop();
  wake_.notify_all();
  if (producer_) producer_->request_stop();
}

void EventsPipeline::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
  if (producer_) producer_->stop();
}

void EventsPipeline::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(wake_mutex_);
      wake_.wait_for(lock, stop, 1s, [this] { return pending_wake_; });
      pending_wake_ = false;
    }
    if (stop.stop_requested()) break;
    try {
      evaluate_once();
    } catch (const std::exception& e) {
      spdlog::error("events: evaluation failed: {}", e.what());
    }
  }
}

std::vector<HealthEvent> EventsPipeline::spooled_events() const {
  std::vector<HealthEvent> events;
  for (const SpoolRecord& r : spool_->pending()) {
    if (ParsedEvent parsed = parse_cloudevent(r.value); parsed.event) {
      events.push_back(std::move(*parsed.event));
    }
  }
  return events;
}

bool EventsPipeline::apply_roles(const Roles& roles) {
  RoleHandoff::Change change = handoff_.update(roles.shards);
  if (const std::size_t n = evaluator_.forget(change.lost); n > 0) {
    spdlog::info("events: fleet: role lost, {} condition(s) handed over unresolved", n);
  }
  if (change.any_gained) {
    // Gained again before an earlier gain was seeded: seed both.
    if (unseeded_) {
      change.gained = [earlier = unseeded_, now = change.gained](const HealthEvent& e) {
        return earlier(e) || now(e);
      };
    }
    unseeded_ = change.gained;
  }
  if (unseeded_) {
    // Only what is still ours: a role lost meanwhile is not seeded.
    const RoleHandoff::Predicate gained = [pending = unseeded_, shards = roles.shards](
                                              const HealthEvent& e) {
      return pending(e) && owns_condition(shards, e);
    };
    std::vector<HealthEvent> topic;
    try {
      topic = read_all_events(kafka_, config_.topic, "events-handoff",
                              std::chrono::steady_clock::now() + kafka_.request_timeout * 2);
    } catch (const EventsTopicError& e) {
      if (e.kind() != EventsTopicError::Kind::no_topic) {
        spdlog::warn("events: fleet: cannot read {} to take over the conditions of a new role "
                     "({}); not judging it until then",
                     config_.topic, e.what());
        return false;
      }
      // No topic: no event was ever published, nothing is firing.
    }
    evaluator_.forget(gained);
    const std::vector<HealthEvent> firing = firing_to_seed(topic, spooled_events(), gained);
    for (const HealthEvent& e : firing) evaluator_.replay(e);
    spdlog::info("events: fleet: took over a role: read {} event(s) of {}, {} condition(s) "
                 "firing",
                 topic.size(), config_.topic, firing.size());
    unseeded_ = nullptr;
  }
  return true;
}

void EventsPipeline::evaluate_once() {
  std::vector<HealthEvent> events = std::move(unspooled_);
  unspooled_.clear();
  const auto take = [&events](std::vector<HealthEvent> more) {
    for (HealthEvent& e : more) events.push_back(std::move(e));
  };
  std::optional<Roles> roles;
  if (roles_) roles = roles_();
  const bool seeded = !roles || apply_roles(*roles);
  // The cluster first: it names the cluster in every event's source.
  if (const auto v = snapshots_.cluster.version(); seeded && v != cluster_version_) {
    cluster_version_ = v;
    const auto s = snapshots_.cluster.get();
    // Fleet: only the leader judges the cluster, on snapshots of its current term.
    if (s && (!roles || (roles->shards.leader() && s->taken_at >= roles->leader_since))) {
      take(evaluator_.on_cluster(*s));
    }
  }
  if (const auto v = snapshots_.groups.version(); seeded && v != groups_version_) {
    groups_version_ = v;
    if (const auto s = snapshots_.groups.get()) {
      if (roles) {
        const fleet::OwnedShards shards = roles->shards;
        take(evaluator_.on_groups(*s, [&shards](std::string_view g) { return shards.owns_group(g); }));
      } else {
        take(evaluator_.on_groups(*s));
      }
    }
  }
  if (const auto v = snapshots_.host.version(); v != host_version_) {
    host_version_ = v;
    if (const auto s = snapshots_.host.get()) take(evaluator_.on_host(*s));
  }
  if (const auto v = snapshots_.probe.version(); v != probe_version_) {
    probe_version_ = v;
    if (const auto s = snapshots_.probe.get()) take(evaluator_.on_probe(*s));
  }
  if (statuses_) {
    const auto now = std::chrono::system_clock::now();
    for (const CollectorStatus& st : statuses_()) {
      Seen& seen = collectors_seen_[st.name];
      if (st.runs <= seen.runs) continue;
      const std::uint64_t runs = st.runs - seen.runs;
      const std::uint64_t errors = st.errors - seen.errors;
      seen = {st.runs, st.errors};
      if (st.last_ok) {
        take(evaluator_.on_collector_cycle(st.name, true, "", now));
      } else {
        for (std::uint64_t i = 0; i < std::min(runs, std::max<std::uint64_t>(errors, 1)); ++i) {
          take(evaluator_.on_collector_cycle(st.name, false, st.last_error, now));
        }
      }
    }
  }
  emit(std::move(events));
  publish_health();
}

// For readers off this thread (the JSON API): the firing conditions and recent transitions.
void EventsPipeline::publish_health() {
  auto health = std::make_shared<HealthEventsSnapshot>();
  health->taken_at = std::chrono::system_clock::now();
  health->firing = evaluator_.firing();
  health->recent.assign(recent_.begin(), recent_.end());
  snapshots_.health.publish(std::move(health));
}

void EventsPipeline::emit(std::vector<HealthEvent> events) {
  if (roles_ && !events.empty()) {
    // Spooled only under the role that produced them, checked now: an agent whose lease
    // lapsed during the evaluation publishes nothing for the role (the new owner takes the
    // condition over from the topic).
    const fleet::OwnedShards shards = roles_().shards;
    std::erase_if(events, [&](const HealthEvent& e) {
      if (owns_condition(shards, e)) return false;
      spdlog::info("events: fleet: not publishing {} {} {}: its role was lost", state_name(e.state),
                   short_type(e.type), e.subject);
      return true;
    });
  }
  if (events.empty()) return;
  std::vector<std::pair<std::string, std::string>> records;
  records.reserve(events.size());
  for (const HealthEvent& e : events) records.emplace_back(e.subject, to_cloudevent(e));
  Spool::Appended appended;
  try {
    appended = spool_->append(records, [this](const std::vector<std::uint64_t>& seqs) {
      try {
        write_state(seqs.back());
      } catch (const std::exception& e) {
        spdlog::error("events: cannot save the evaluator state: {}", e.what());
      }
    });
  } catch (const SpoolError& e) {
    spdlog::error("events: cannot write {} event(s) to the spool ({}); retrying next cycle",
                  events.size(), e.what());
    for (HealthEvent& ev : events) {
      if (unspooled_.size() < kMaxUnspooled) unspooled_.push_back(std::move(ev));
    }
    return;
  }
  for (const HealthEvent& e : events) {
    spdlog::info("{}", log_line(e));
    metrics_.count(e.type, state_name(e.state), "spooled");
    recent_.push_back(e);
    if (recent_.size() > kRecentHealthEvents) recent_.pop_front();
  }
  for (const SpoolRecord& r : appended.dropped) {
    const ParsedEvent parsed = parse_cloudevent(r.value);
    const std::string type = parsed.event ? parsed.event->type : "unknown";
    const std::string state = parsed.event ? std::string(state_name(parsed.event->state)) : "unknown";
    metrics_.count(type, state, "dropped");
    spdlog::error("events: spool full ({} events / {} bytes): dropped the oldest undelivered "
                  "event {} ({} {} {})", config_.spool_max_events, config_.spool_max_bytes,
                  parsed.event ? parsed.event->id : "?", state, short_type(type), r.key);
  }
  metrics_.spool_size(spool_->depth(), spool_->bytes());
  producer_->notify();
}

void EventsPipeline::write_state(std::uint64_t spool_seq) {
  nlohmann::json state = evaluator_.save_state();
  state["spool_seq"] = spool_seq;
  write_atomically(fs::path(config_.spool_dir) / kStateFile, state.dump());
}

}  // namespace ks::events
