#include "fleet/coordinator.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>

#include "kafka/client.hpp"

namespace ks::fleet {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kPollTimeout = 100ms;       // how soon a stop or a lapsed lease is noticed
constexpr auto kBootstrapRetry = 2s;       // cluster id / topic not there yet
constexpr auto kCloseDeadline = 2s;        // within the agent's 5 s shutdown budget
constexpr auto kMaxDescribeInterval = 10s; // members seen, refreshed at least this often

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

// Everything that talks to librdkafka; created and used on the coordinator's thread only
// (the rebalance callback runs inside rd_kafka_consumer_poll, on that thread too).
class Coordinator::Session {
 public:
  explicit Session(Coordinator& owner) : owner_(owner), fleet_(owner.fleet_) {
    lease_ = std::chrono::duration_cast<Clock::duration>(fleet_.session_timeout) / 2;
    renew_every_ = std::chrono::duration_cast<Clock::duration>(fleet_.session_timeout) / 6;
  }

  // Cluster id (for the group's name), the coordination topic (created when missing) and
  // its partition count. False when stopped first.
  bool bootstrap(std::stop_token stop) {
    while (!admin_) {
      try {
        // A metadata request for a missing topic must not make the brokers auto-create it
        // (with num.partitions, often 1): the topic is created below, with its partitions.
        admin_ = kafka::make_client(owner_.kafka_, RD_KAFKA_PRODUCER,
                                    {{"allow.auto.create.topics", "false"}}, "fleet-admin");
        admin_queue_.reset(rd_kafka_queue_new(admin_.get()));
      } catch (const std::exception& e) {
        spdlog::error("fleet: {}", e.what());
        if (!sleep_unless_stopped(stop, kBootstrapRetry)) return false;
      }
    }
    std::string group = fleet_.group;
    while (group.empty()) {
      const auto id = kafka::wait_for_cluster_id(admin_.get(),
                                                 Clock::now() + owner_.kafka_.request_timeout,
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
    bool create_attempted = false;
    while (!stop.stop_requested()) {
      if (!create_attempted) {
        create_topic();  // TOPIC_ALREADY_EXISTS is the usual answer
        create_attempted = true;
        next_create_ = Clock::now() + 10s;
      }
      if (const int n = topic_partitions(); n > 0) {
        partitions_ = n;
        owner_.ownership_.set_partition_count(n);
        owner_.update([&](CoordinatorStatus& s) { s.partitions = n; });
        return true;
      }
      if (Clock::now() >= next_create_) {
        create_topic();
        next_create_ = Clock::now() + 10s;
      }
      if (!sleep_unless_stopped(stop, 500ms)) return false;
    }
    return false;
  }

  void join() {
    const std::map<std::string, std::string> properties{
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
        {"client.id", owner_.kafka_.client_id + "-fleet-" + owner_.node_name_},
    };
    consumer_ = kafka::make_client(owner_.kafka_, RD_KAFKA_CONSUMER, properties, "fleet",
                                   [](rd_kafka_conf_t* conf) {
                                     rd_kafka_conf_set_rebalance_cb(conf, &Session::on_rebalance);
                                   });
    consumer_.context().set_user(this);
    // Callbacks (rebalance, error, log) are then served by rd_kafka_consumer_poll alone.
    rd_kafka_poll_set_consumer(consumer_.get());
    commit_queue_.reset(rd_kafka_queue_new(consumer_.get()));
    kafka::PartitionListPtr topics = kafka::new_partition_list(1);
    rd_kafka_topic_partition_list_add(topics.get(), fleet_.topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (const auto err = rd_kafka_subscribe(consumer_.get(), topics.get())) {
      throw kafka::KafkaError(err, "subscribe failed: " + kafka::error_name(err));
    }
    owner_.update([](CoordinatorStatus& s) { s.state = "joining"; });
    spdlog::info("fleet: joining group \"{}\" on topic \"{}\" ({} partitions) as node \"{}\"",
                 group_, fleet_.topic, partitions_, owner_.node_name_);
  }

  void poll_once() {
    if (rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_.get(), ms(kPollTimeout))) {
      if (message->err && message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        spdlog::debug("fleet: consumer: {}", rd_kafka_message_errstr(message));
      }
      rd_kafka_message_destroy(message);
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
    kafka::QueuePtr queue(rd_kafka_queue_new(consumer_.get()));
    if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(consumer_.get(), queue.get())) {
      spdlog::warn("fleet: close: {}", rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    }
    const auto deadline = Clock::now() + kCloseDeadline;
    while (!rd_kafka_consumer_closed(consumer_.get()) && Clock::now() < deadline) {
      if (rd_kafka_event_t* event = rd_kafka_queue_poll(queue.get(), 100)) {
        if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE) {
          rd_kafka_assign(consumer_.get(), nullptr);
        }
        rd_kafka_event_destroy(event);
      }
    }
    queue.reset();
    commit_queue_.reset();
    if (!rd_kafka_consumer_closed(consumer_.get())) {
      // The group coordinator did not answer in time: don't let a blocking close hold up
      // the shutdown. The session will expire instead.
      spdlog::warn("fleet: leaving the group timed out; the others take over after the "
                   "session timeout");
      rd_kafka_destroy_flags(consumer_.get(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
      // The handle is gone: its wrapper must not destroy it again, so it is leaked on
      // purpose (the process is exiting), like the scheduler's hung collectors.
      auto wrapper = std::make_unique<kafka::Client>(std::move(consumer_));
      (void)wrapper.release();
      return;
    }
    spdlog::info("fleet: left group \"{}\"", group_);
  }

 private:
  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* context = static_cast<kafka::ClientContext*>(opaque);
    auto* self = static_cast<Session*>(context ? context->user() : nullptr);
    if (!self) {
      rd_kafka_assign(rk, nullptr);
      return;
    }
    self->rebalance(rk, err, partitions);
  }

  void rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* partitions) {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      std::vector<int> ids;
      int highest = -1;
      for (int i = 0; i < partitions->cnt; ++i) {
        ids.push_back(partitions->elems[i].partition);
        highest = std::max(highest, partitions->elems[i].partition);
      }
      if (highest >= partitions_) {
        // The topic grew: every agent must shard groups by the same count.
        if (const int n = topic_partitions(); n > highest) partitions_ = n;
      }
      owner_.ownership_.assign(ids, partitions_);
      rd_kafka_assign(rk, partitions);
      // Nothing is ever read from the topic: membership is all it is for.
      rd_kafka_pause_partitions(rk, partitions);
      pending_.clear();
      next_commit_ = Clock::now();  // renew the lease (and so take the roles) at once
      next_describe_ = Clock::now();
      std::sort(ids.begin(), ids.end());
      spdlog::info("fleet: assigned partitions [{}] of {}", fmt::join(ids, ","), partitions_);
      owner_.update([&](CoordinatorStatus& s) {
        ++s.assignments;
        s.state = "member";
        s.partitions = partitions_;
        s.assigned = ids;
      });
      owner_.changed();
      return;
    }
    const bool lost = rd_kafka_assignment_lost(rk);
    // Before the group moves on: stop exporting what is given up.
    owner_.ownership_.revoke();
    owner_.changed();
    rd_kafka_assign(rk, nullptr);
    pending_.clear();
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      spdlog::log(lost ? spdlog::level::warn : spdlog::level::info, "fleet: partitions {}",
                  lost ? "lost (the group coordinator gave them away)" : "revoked (rebalance)");
    } else {
      spdlog::warn("fleet: rebalance error: {}", kafka::error_name(err));
    }
    owner_.update([&](CoordinatorStatus& s) {
      ++s.revocations;
      if (lost) ++s.losses;
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
    kafka::PartitionListPtr offsets = kafka::new_partition_list(static_cast<int>(assigned.size()));
    for (const int p : assigned) {
      rd_kafka_topic_partition_list_add(offsets.get(), fleet_.topic.c_str(), p)->offset = 0;
    }
    const std::uint64_t seq = ++commit_seq_;
    pending_[seq] = {now, owner_.ownership_.assignment_id()};
    next_commit_ = now + renew_every_;
    const auto err = rd_kafka_commit_queue(consumer_.get(), offsets.get(), commit_queue_.get(),
                                           nullptr, reinterpret_cast<void*>(seq));
    if (err) {
      pending_.erase(seq);
      spdlog::debug("fleet: lease commit not sent: {}", kafka::error_name(err));
    }
  }

  void serve_commits() {
    while (rd_kafka_event_t* event = rd_kafka_queue_poll(commit_queue_.get(), 0)) {
      const kafka::EventPtr owned(event);
      if (rd_kafka_event_type(event) != RD_KAFKA_EVENT_OFFSET_COMMIT) continue;
      const auto seq = reinterpret_cast<std::uintptr_t>(rd_kafka_event_opaque(event));
      const auto it = pending_.find(seq);
      if (it == pending_.end()) continue;
      const Pending sent = it->second;
      pending_.erase(it);
      rd_kafka_resp_err_t err = rd_kafka_event_error(event);
      if (!err) {
        if (const auto* list = rd_kafka_event_topic_partition_list(event)) {
          for (int i = 0; i < list->cnt && !err; ++i) err = list->elems[i].err;
        }
      }
      if (err) {
        spdlog::debug("fleet: lease commit refused: {}", kafka::error_name(err));
        continue;
      }
      if (owner_.ownership_.renew(sent.assignment, sent.sent_at, lease_)) {
        const OwnedShards view = owner_.ownership_.view();
        spdlog::info("fleet: roles taken: {} of {} group shards{}", view.count(), view.partitions,
                     view.leader() ? ", leader (cluster-wide work)" : "");
        owner_.changed();
      }
    }
  }

  void describe_group(Clock::time_point now) {
    next_describe_ = now + std::min<Clock::duration>(kMaxDescribeInterval, fleet_.session_timeout);
    if (describe_in_flight_) return;
    kafka::AdminOptionsPtr options(
        rd_kafka_AdminOptions_new(admin_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS));
    std::array<char, 256> error{};
    rd_kafka_AdminOptions_set_request_timeout(options.get(), ms(owner_.kafka_.request_timeout),
                                              error.data(), error.size());
    const char* groups[] = {group_.c_str()};
    rd_kafka_DescribeConsumerGroups(admin_.get(), groups, 1, options.get(), admin_queue_.get());
    describe_in_flight_ = true;
  }

  void serve_describe() {
    while (rd_kafka_event_t* event = rd_kafka_queue_poll(admin_queue_.get(), 0)) {
      const kafka::EventPtr owned(event);
      if (rd_kafka_event_type(event) != RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT) continue;
      describe_in_flight_ = false;
      if (rd_kafka_event_error(event)) continue;
      const auto* result = rd_kafka_event_DescribeConsumerGroups_result(event);
      std::size_t count = 0;
      const auto** groups = rd_kafka_DescribeConsumerGroups_result_groups(result, &count);
      if (count != 1 || rd_kafka_ConsumerGroupDescription_error(groups[0])) continue;
      const int members = static_cast<int>(rd_kafka_ConsumerGroupDescription_member_count(groups[0]));
      owner_.update([&](CoordinatorStatus& s) { s.members = members; });
    }
  }

  // Partitions of the coordination topic in the metadata; 0 when it does not exist (yet).
  int topic_partitions() {
    rd_kafka_topic_t* topic = rd_kafka_topic_new(admin_.get(), fleet_.topic.c_str(), nullptr);
    if (!topic) return 0;
    kafka::MetadataPtr md;
    try {
      md = kafka::fetch_metadata(admin_.get(), owner_.kafka_.request_timeout, topic);
    } catch (const kafka::KafkaError& e) {
      spdlog::debug("fleet: metadata of \"{}\": {}", fleet_.topic, e.what());
    }
    rd_kafka_topic_destroy(topic);
    if (!md || md->topic_cnt != 1 || md->topics[0].err) return 0;
    return md->topics[0].partition_cnt;
  }

  void create_topic() {
    std::array<char, 512> error{};
    rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(
        fleet_.topic.c_str(), fleet_.partitions, fleet_.replication_factor, error.data(), error.size());
    if (!topic) {
      spdlog::error("fleet: cannot create topic \"{}\": {}", fleet_.topic, error.data());
      return;
    }
    kafka::AdminOptionsPtr options(rd_kafka_AdminOptions_new(admin_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
    rd_kafka_AdminOptions_set_request_timeout(options.get(), ms(owner_.kafka_.request_timeout),
                                              error.data(), error.size());
    kafka::QueuePtr queue(rd_kafka_queue_new(admin_.get()));
    rd_kafka_CreateTopics(admin_.get(), &topic, 1, options.get(), queue.get());
    rd_kafka_NewTopic_destroy(topic);
    const kafka::EventPtr event(rd_kafka_queue_poll(queue.get(), ms(owner_.kafka_.request_timeout + 1s)));
    if (!event) {
      spdlog::warn("fleet: creating topic \"{}\": no answer", fleet_.topic);
      return;
    }
    rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
    std::string text = err ? kafka::error_name(err) : "";
    if (!err) {
      std::size_t count = 0;
      const auto** results =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
      if (count == 1 && (err = rd_kafka_topic_result_error(results[0]))) {
        const char* message = rd_kafka_topic_result_error_string(results[0]);
        text = message ? message : kafka::error_name(err);
      }
    }
    if (!err) {
      spdlog::info("fleet: created topic \"{}\" ({} partitions)", fleet_.topic, fleet_.partitions);
    } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      spdlog::warn("fleet: cannot create topic \"{}\": {}; create it yourself or grant CREATE",
                   fleet_.topic, text);
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
  kafka::Client admin_;
  kafka::QueuePtr admin_queue_;
  kafka::Client consumer_;
  kafka::QueuePtr commit_queue_;
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t commit_seq_ = 0;
  Clock::time_point next_commit_{}, next_describe_{}, next_create_{};
  bool describe_in_flight_ = false;
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
