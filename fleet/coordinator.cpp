#include "fleet/coordinator.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>

#include "kafka/admin_client.hpp"
#include "fleet/join_errors.hpp"
#include "kafka/group_consumer.hpp"

namespace ks::fleet {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kPollTimeout = 100ms;       // how soon a stop or a lapsed lease is noticed
constexpr auto kBootstrapRetry = 2s;       // cluster id / topic not there yet
constexpr auto kCloseDeadline = 2s;        // within the agent's 5 s shutdown budget
constexpr auto kMaxDescribeInterval = 10s; // members seen, refreshed at least this often
constexpr auto kJoinErrorRepeat = 60s;     // a lasting refused join, logged again this often

int ms(Clock::duration d) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// Sleeps up to `d`, returning false at once when a stop is requested.
bool sleep_unless_stopped(std::stop_token stop, Clock::duration d) {
  const auto until = Clock::now() + d;
  while (!stop.stop_requested() && Clock::now() < until) std::this_thread::sleep_for(50ms);
  return !stop.stop_requested();
}

}  // namespace

// Everything that talks to Kafka; created and used on the coordinator's thread only (the
// rebalance callback runs inside GroupConsumer::poll, on that thread too).
class Coordinator::Session {
 public:
  explicit Session(Coordinator& owner) : owner_(owner), fleet_(owner.fleet_) {
    lease_ = std::chrono::duration_cast<Clock::duration>(fleet_.session_timeout) / 2;
    renew_every_ = std::chrono::duration_cast<Clock::duration>(fleet_.session_timeout) / 6;
  }

  // Cluster id (for the group's name), the coordination topic (created when missing) and
  // its partition count. False when stopped first.
  bool bootstrap(std::stop_token stop) {
    return connect_admin(stop) && resolve_group(stop) && await_topic(stop);
  }

  void join() {
    kafka::GroupConsumerSettings settings;
    settings.name = "fleet";
    settings.properties = group_properties();
    settings.on_rebalance = [this](const kafka::Rebalance& r) { rebalance(r); };
    // Nothing is ever read from the topic: membership is all it is for.
    settings.pause_assigned = true;
    consumer_ = std::make_unique<kafka::GroupConsumer>(owner_.kafka_, std::move(settings));
    consumer_->subscribe({fleet_.topic});
    owner_.update([](CoordinatorStatus& s) { s.state = "joining"; });
    spdlog::info("fleet: joining group \"{}\" on topic \"{}\" ({} partitions) as node \"{}\"",
                 group_, fleet_.topic, partitions_, owner_.node_name_);
  }

  void poll_once() {
    if (const auto message = consumer_->poll(kPollTimeout)) {
      if (kafka::failed(message->error) && message->error != kafka::ErrorCode::local_partition_eof) {
        consumer_error(message->error, message->error_text);
      }
    }
    const auto now = Clock::now();
    serve_commits();
    send_commit(now);
    if (owner_.ownership_.check_expiry(now)) {
      spdlog::warn("fleet: no commit accepted by the group coordinator for {} ms: dropping every "
                   "role until it answers again",
                   ms(lease_));
      owner_.update([](CoordinatorStatus& s) { ++s.lease_expirations; });
      owner_.changed();
    }
    serve_describe();
    if (now >= next_describe_) describe_group(now);
  }

  // Roles are dropped first, then the group is left so the others rebalance at once.
  void close() {
    owner_.ownership_.revoke();
    owner_.changed();
    if (!consumer_) return;
    if (!consumer_->close_within(kCloseDeadline)) {
      // The group coordinator did not answer in time: a blocking close must not hold up the
      // shutdown. The session will expire instead.
      spdlog::warn("fleet: leaving the group timed out; the others take over after the "
                   "session timeout");
      return;
    }
    spdlog::info("fleet: left group \"{}\"", group_);
  }

 private:
  bool connect_admin(std::stop_token stop) {
    while (!admin_) {
      try {
        // A metadata request for a missing topic must not make the brokers auto-create it
        // (with num.partitions, often 1): the topic is created below, with its partitions.
        admin_ = std::make_unique<kafka::AdminClient>(owner_.kafka_, "fleet-admin");
      } catch (const std::exception& e) {
        spdlog::error("fleet: {}", e.what());
        if (!sleep_unless_stopped(stop, kBootstrapRetry)) return false;
      }
    }
    return true;
  }

  bool resolve_group(std::stop_token stop) {
    std::string group = fleet_.group;
    while (group.empty()) {
      const auto id = admin_->wait_for_cluster_id(Clock::now() + owner_.kafka_.request_timeout,
                                                  [&stop] { return stop.stop_requested(); });
      if (id && !id->empty()) {
        group = Coordinator::default_group(*id);
      } else {
        if (stop.stop_requested()) return false;
        spdlog::warn("fleet: cluster id not known yet (Kafka unreachable?); asking again");
        if (!sleep_unless_stopped(stop, kBootstrapRetry)) return false;
      }
    }
    group_ = group;
    owner_.update([&](CoordinatorStatus& s) { s.group = group; });
    return true;
  }

  // Creation is asked for at once (TOPIC_ALREADY_EXISTS is the usual answer), then again
  // every 10 s until the topic shows up in the metadata.
  bool await_topic(std::stop_token stop) {
    Clock::time_point next_create{};
    while (!stop.stop_requested()) {
      if (Clock::now() >= next_create) {
        create_topic();
        next_create = Clock::now() + 10s;
      }
      if (const int n = topic_partitions(); n > 0) {
        partitions_ = n;
        owner_.ownership_.set_partition_count(n);
        owner_.update([&](CoordinatorStatus& s) { s.partitions = n; });
        return true;
      }
      if (!sleep_unless_stopped(stop, 500ms)) return false;
    }
    return false;
  }

  std::map<std::string, std::string> group_properties() const {
    return {
        {"group.id", group_},
        // Eager: every member revokes everything before anything is reassigned.
        {"partition.assignment.strategy", "roundrobin"},
        {"session.timeout.ms", std::to_string(fleet_.session_timeout.count())},
        {"heartbeat.interval.ms",
         std::to_string(std::max<std::int64_t>(100, fleet_.session_timeout.count() / 6))},
        // Also the rebalance timeout: how long a rebalance waits for a live member that
        // does not rejoin. The loop polls every 100 ms, so this only bounds a stuck agent.
        {"max.poll.interval.ms",
         std::to_string(std::max<std::int64_t>(30000, fleet_.session_timeout.count() * 2))},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "latest"},
        // The broker id and advertised URL ride along: DescribeConsumerGroups gives every
        // member's client id (fleet_member.hpp).
        {"client.id", fleet_client_id(owner_.kafka_.client_id, owner_.node_name_,
                                      fleet_.broker_id, fleet_.advertised_url)},
    };
  }

  void rebalance(const kafka::Rebalance& r) {
    if (r.kind == kafka::Rebalance::Kind::assigned) {
      assigned(r.partitions);
    } else {
      given_up(r);
    }
  }

  void assigned(const std::vector<kafka::TopicPartition>& partitions) {
    std::vector<int> ids;
    int highest = -1;
    for (const auto& p : partitions) {
      ids.push_back(p.partition);
      highest = std::max(highest, p.partition);
    }
    if (highest >= partitions_) {
      // The topic grew: every agent must shard groups by the same count.
      if (const int n = topic_partitions(); n > highest) partitions_ = n;
    }
    learn_offsets_partitions();  // before the roles can become effective
    owner_.ownership_.assign(ids, partitions_);
    pending_.clear();
    next_commit_ = Clock::now();  // renew the lease (and so take the roles) at once
    next_describe_ = Clock::now();
    std::sort(ids.begin(), ids.end());
    spdlog::info("fleet: assigned partitions [{}] of {}", fmt::join(ids, ","), partitions_);
    last_join_error_.clear();
    owner_.update([&](CoordinatorStatus& s) {
      ++s.assignments;
      s.join_error.clear();
      s.state = "member";
      s.partitions = partitions_;
      s.assigned = ids;
    });
    owner_.changed();
  }

  // A refused join that needs the operator is an error line (again every kJoinErrorRepeat
  // while it lasts), a count by kind and the agent's fleet.join_error; the rest is debug.
  void consumer_error(kafka::ErrorCode code, const std::string& text) {
    const auto advice = explain_join_error(code, text, fleet_);
    if (!advice) {
      spdlog::debug("fleet: consumer: {}", text);
      return;
    }
    const auto now = Clock::now();
    if (advice->kind != last_join_error_ || now >= next_join_error_log_) {
      spdlog::error("fleet: {}", advice->message);
      last_join_error_ = advice->kind;
      next_join_error_log_ = now + kJoinErrorRepeat;
    }
    owner_.update([&](CoordinatorStatus& s) {
      ++s.join_errors[advice->kind];
      s.join_error = advice->message;
    });
  }

  // Revoked, lost or a failed rebalance: before the group moves on (the consumer unassigns
  // after this returns), stop exporting what is given up.
  void given_up(const kafka::Rebalance& r) {
    owner_.ownership_.revoke();
    owner_.changed();
    pending_.clear();
    if (r.kind == kafka::Rebalance::Kind::revoked) {
      spdlog::log(r.lost ? spdlog::level::warn : spdlog::level::info, "fleet: partitions {}",
                  r.lost ? "lost (the group coordinator gave them away)" : "revoked (rebalance)");
    } else {
      spdlog::warn("fleet: rebalance error: {}", kafka::error_name(r.error));
    }
    owner_.update([&](CoordinatorStatus& s) {
      ++s.revocations;
      if (r.lost) ++s.losses;
      s.state = "joining";
      s.assigned.clear();
    });
  }

  // The lease: an offset commit (offset 0 on every owned partition; nothing is consumed)
  // succeeds only for a member of the current generation, and restarts its session timer.
  void send_commit(Clock::time_point now) {
    const std::vector<int> assigned = owner_.ownership_.assigned();
    if (assigned.empty() || now < next_commit_) return;
    std::erase_if(pending_, [&](const auto& p) { return now - p.second.sent_at > lease_; });
    if (!pending_.empty()) return;  // one at a time; an unanswered one expires above
    std::vector<kafka::TopicPartition> offsets;
    for (const int p : assigned) offsets.push_back(kafka::at_offset(fleet_.topic, p, 0));
    const std::uint64_t seq = ++commit_seq_;
    pending_[seq] = {now, owner_.ownership_.assignment_id()};
    next_commit_ = now + renew_every_;
    if (const auto err = consumer_->commit_async(offsets, seq); kafka::failed(err)) {
      pending_.erase(seq);
      spdlog::debug("fleet: lease commit not sent: {}", kafka::error_name(err));
    }
  }

  void serve_commits() {
    for (const kafka::CommitResult& result : consumer_->commit_results()) {
      const auto it = pending_.find(result.tag);
      if (it == pending_.end()) continue;
      const Pending sent = it->second;
      pending_.erase(it);
      if (const auto err = result.outcome(); kafka::failed(err)) {
        spdlog::debug("fleet: lease commit refused: {}", kafka::error_name(err));
        continue;
      }
      if (owner_.ownership_.renew(sent.assignment, sent.sent_at, lease_)) {
        const OwnedShards view = owner_.ownership_.view();
        spdlog::info("fleet: roles taken: {} of {} group shards{}", view.count(), view.partitions,
                     view.leader() ? ", leader (cluster-wide work)" : "");
        // The members as of this term (the probe's leader adopts the brokers none claims).
        next_describe_ = Clock::now();
        owner_.changed();
      }
    }
  }

  void describe_group(Clock::time_point now) {
    next_describe_ = now + std::min<Clock::duration>(kMaxDescribeInterval, fleet_.session_timeout);
    learn_offsets_partitions();
    admin_->request_member_count(group_, owner_.kafka_.request_timeout);
  }

  void serve_describe() {
    if (const auto members = admin_->poll_members()) {
      std::vector<FleetMember> list;
      for (const kafka::GroupMember& m : *members) {
        MemberIdentity id = parse_fleet_client_id(m.client_id, owner_.kafka_.client_id);
        list.push_back({std::move(id.node), m.host, m.partitions, std::move(id.url), id.broker_id});
      }
      owner_.update([&](CoordinatorStatus& s) {
        s.members = static_cast<int>(list.size());
        s.member_list = std::move(list);
        s.members_at = std::chrono::system_clock::now();
      });
    }
  }

  // Groups sharded by their `__consumer_offsets` partition need that topic's partition
  // count, the same for every agent (the cluster's offsets.topic.num.partitions). Kafka
  // creates the topic for the first group, at the latest for the fleet's own, and never
  // changes its partition count, so it is asked until known, then never again.
  void learn_offsets_partitions() {
    Ownership& ownership = owner_.ownership_;
    if (ownership.group_sharding() != GroupSharding::offsets_partition ||
        ownership.offsets_partition_count() > 0) {
      return;
    }
    try {
      const kafka::TopicInfo topic =
          admin_->lookup_topic("__consumer_offsets", owner_.kafka_.request_timeout);
      if (topic.usable()) {
        ownership.set_offsets_partition_count(static_cast<int>(topic.partitions.size()));
        spdlog::info("fleet: groups sharded by their __consumer_offsets partition ({} of them)",
                     topic.partitions.size());
      }
    } catch (const std::exception& e) {
      spdlog::debug("fleet: metadata of __consumer_offsets: {}", e.what());
    }
  }

  // Partitions of the coordination topic in the metadata; 0 when it does not exist (yet).
  int topic_partitions() {
    try {
      const kafka::TopicInfo topic = admin_->lookup_topic(fleet_.topic, owner_.kafka_.request_timeout);
      return kafka::failed(topic.error) ? 0 : static_cast<int>(topic.partitions.size());
    } catch (const std::exception& e) {
      spdlog::debug("fleet: metadata of \"{}\": {}", fleet_.topic, e.what());
      return 0;
    }
  }

  void create_topic() {
    kafka::CreateTopicsOptions options;
    options.request_timeout = owner_.kafka_.request_timeout;
    options.deadline = Clock::now() + owner_.kafka_.request_timeout + 1s;
    kafka::TopicCreation creation;
    try {
      creation = admin_->create_topic({fleet_.topic, fleet_.partitions, fleet_.replication_factor, {}},
                                      options);
    } catch (const kafka::InvalidNewTopic& e) {
      spdlog::error("fleet: cannot create topic \"{}\": {}", fleet_.topic, e.reason());
      return;
    }
    if (!creation.answered) {
      spdlog::warn("fleet: creating topic \"{}\": no answer", fleet_.topic);
    } else if (creation.created()) {
      spdlog::info("fleet: created topic \"{}\" ({} partitions)", fleet_.topic, fleet_.partitions);
    } else if (!creation.exists()) {
      spdlog::warn("fleet: cannot create topic \"{}\": {}; create it yourself or grant CREATE",
                   fleet_.topic, creation.message);
    }
  }

  struct Pending {
    Clock::time_point sent_at;
    std::uint64_t assignment = 0;
  };

  Coordinator& owner_;
  const FleetConfig& fleet_;
  Clock::duration lease_{}, renew_every_{};
  std::string group_;
  int partitions_ = 0;
  std::unique_ptr<kafka::AdminClient> admin_;
  std::unique_ptr<kafka::GroupConsumer> consumer_;
  std::string last_join_error_;  // the kind last logged, "" after an assignment
  Clock::time_point next_join_error_log_{};
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t commit_seq_ = 0;
  Clock::time_point next_commit_{}, next_describe_{};
};

Coordinator::Coordinator(const KafkaConfig& kafka, const FleetConfig& fleet, std::string node_name,
                         Ownership& ownership, OnChange on_change)
    : kafka_(kafka),
      fleet_(fleet),
      node_name_(std::move(node_name)),
      ownership_(ownership),
      on_change_(std::move(on_change)) {}

Coordinator::~Coordinator() { stop(); }

std::string Coordinator::default_group(const std::string& cluster_id) {
  return "kafka-sentinel-fleet." + cluster_id;
}

void Coordinator::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Coordinator::request_stop() {
  if (thread_.joinable()) thread_.request_stop();
}

void Coordinator::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

CoordinatorStatus Coordinator::status() const {
  std::lock_guard lock(status_mutex_);
  CoordinatorStatus s = status_;
  s.lease_valid = ownership_.lease_valid();
  return s;
}

void Coordinator::update(const std::function<void(CoordinatorStatus&)>& change) {
  std::lock_guard lock(status_mutex_);
  change(status_);
}

void Coordinator::changed() {
  if (on_change_) on_change_();
}

void Coordinator::run(std::stop_token stop) {
  Session session(*this);
  try {
    if (session.bootstrap(stop)) {
      session.join();
      while (!stop.stop_requested()) session.poll_once();
    }
  } catch (const std::exception& e) {
    // Without the group this agent owns nothing: it keeps collecting its own host only.
    spdlog::error("fleet: coordinator stopped: {}", e.what());
  }
  session.close();
  update([](CoordinatorStatus& s) {
    s.state = "stopped";
    s.assigned.clear();
  });
}

}  // namespace ks::fleet
