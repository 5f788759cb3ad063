#include "events/event_producer.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <limits>
#include <map>

#include "events/cloudevent.hpp"

namespace ks::events {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kRoundRecords = 500;
constexpr std::size_t kRoundBytes = 4 * 1024 * 1024;
constexpr auto kMaxBackoff = 30s;
constexpr auto kWaitingLogEvery = 60s;
// Kafka's timestamps of our messages are set when they are produced, after the attempt was
// recorded; the slack covers a clock step or a broker clock (LogAppendTime) behind ours.
constexpr std::int64_t kClockSlackMs = 5 * 60 * 1000;
constexpr auto kVerifyDeadline = 120s;

struct Slot {
  bool done = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_msg_status_t status = RD_KAFKA_MSG_STATUS_NOT_PERSISTED;
};

void delivery_report(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  if (auto* slot = static_cast<Slot*>(message->_private)) {
    slot->done = true;
    slot->err = message->err;
    slot->status = rd_kafka_message_status(message);
  }
}

void log_callback(const rd_kafka_t*, int level, const char* facility, const char* message) {
  // librdkafka's own lines are detail here: the producer reports what matters itself.
  spdlog::log(level <= 3 ? spdlog::level::debug : spdlog::level::trace,
              "librdkafka [events] {}: {}", facility ? facility : "", message ? message : "");
}

void error_callback(rd_kafka_t* rk, int code, const char* reason, void*) {
  const auto err = static_cast<rd_kafka_resp_err_t>(code);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    std::array<char, 512> text{};
    const auto fatal = rd_kafka_fatal_error(rk, text.data(), text.size());
    spdlog::error("events producer: fatal error {}: {}", rd_kafka_err2name(fatal), text.data());
    return;
  }
  spdlog::debug("events producer: {}: {}", rd_kafka_err2name(err), reason ? reason : "");
}

void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  std::array<char, 512> error{};
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error.data(), error.size()) !=
      RD_KAFKA_CONF_OK) {
    throw ProducerError(fmt::format("events producer: {}={}: {}", name, value, error.data()));
  }
}

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;

ConfPtr base_conf(const KafkaConfig& kafka) {
  ConfPtr conf(rd_kafka_conf_new());
  set(conf.get(), "log.connection.close", "false");
  set(conf.get(), "socket.keepalive.enable", "true");
  for (const auto& [key, value] : kafka.properties) set(conf.get(), key, value);
  set(conf.get(), "bootstrap.servers", kafka.bootstrap_servers);
  set(conf.get(), "client.id", kafka.client_id);
  rd_kafka_conf_set_log_cb(conf.get(), log_callback);
  rd_kafka_conf_set_error_cb(conf.get(), error_callback);
  return conf;
}

HandlePtr new_handle(rd_kafka_type_t type, ConfPtr conf) {
  std::array<char, 512> error{};
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), error.data(), error.size());
  if (!rk) throw ProducerError(fmt::format("events: cannot create a Kafka client: {}", error.data()));
  (void)conf.release();  // owned by rk now
  return HandlePtr(rk);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the metrics need of a spooled event.
struct Labels {
  std::string id, type = "unknown", state = "unknown";
  std::optional<HealthEvent::TimePoint> time;
};

Labels labels_of(const std::string& value) {
  Labels l;
  const auto json = nlohmann::json::parse(value, nullptr, false);
  if (!json.is_object()) return l;
  if (auto it = json.find("id"); it != json.end() && it->is_string()) l.id = it->get<std::string>();
  if (auto it = json.find("type"); it != json.end() && it->is_string()) l.type = it->get<std::string>();
  if (auto it = json.find("time"); it != json.end() && it->is_string()) {
    l.time = parse_time(it->get<std::string>());
  }
  if (auto data = json.find("data"); data != json.end() && data->is_object()) {
    if (auto it = data->find("state"); it != data->end() && it->is_string()) {
      l.state = it->get<std::string>();
    }
  }
  return l;
}

// Blocking librdkafka calls are bounded so that a stop is never held up for long.
int call_timeout_ms(const KafkaConfig& kafka) {
  return static_cast<int>(std::min<std::chrono::milliseconds>(kafka.request_timeout, 3s).count());
}

bool is_unknown_topic(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
}

}  // namespace

struct EventProducer::Handle {
  HandlePtr rk;
};

EventProducer::EventProducer(const KafkaConfig& kafka, const EventsConfig& events, Spool& spool,
                             EventMetrics& metrics)
    : kafka_(kafka), events_(events), spool_(spool), metrics_(metrics) {
  recreate_handle();
}

EventProducer::~EventProducer() { stop(); }

void EventProducer::recreate_handle() {
  ConfPtr conf = base_conf(kafka_);
  set(conf.get(), "enable.idempotence", "true");
  set(conf.get(), "acks", "all");
  // Never give up on a message: the spool's order is kept by waiting, not by retrying.
  set(conf.get(), "message.timeout.ms", "0");
  set(conf.get(), "allow.auto.create.topics", "false");
  set(conf.get(), "linger.ms", "10");
  rd_kafka_conf_set_dr_msg_cb(conf.get(), delivery_report);
  auto handle = std::make_unique<Handle>();
  handle->rk = new_handle(RD_KAFKA_PRODUCER, std::move(conf));
  handle_ = std::move(handle);
}

void EventProducer::start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    try {
      run(stop);
    } catch (const std::exception& e) {
      spdlog::critical("events producer stopped: {}", e.what());
    }
  });
}

void EventProducer::notify() {
  {
    std::lock_guard lock(wake_mutex_);
    pending_wake_ = true;
  }
  wake_.notify_all();
}

void EventProducer::request_stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  wake_.notify_all();
}

void EventProducer::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

bool EventProducer::wait_or_stop(std::stop_token stop, std::chrono::milliseconds timeout) {
  std::unique_lock lock(wake_mutex_);
  wake_.wait_for(lock, stop, timeout, [this] { return pending_wake_; });
  pending_wake_ = false;
  return !stop.stop_requested();
}

void EventProducer::run(std::stop_token stop) {
  std::chrono::milliseconds backoff = 1s;
  const auto failed = [&] {
    metrics_.delivery_error();
    wait_or_stop(stop, backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  };
  while (!stop.stop_requested()) {
    metrics_.spool_size(spool_.depth(), spool_.bytes());
    if (!topic_ready_ && !ensure_topic(stop)) {
      if (!stop.stop_requested()) failed();
      continue;
    }
    auto records = spool_.peek(kRoundRecords, kRoundBytes);
    if (records.empty()) {
      wait_or_stop(stop, 1s);
      continue;
    }
    if (!resolve_doubts(records, stop)) {
      if (!stop.stop_requested()) failed();
      continue;
    }
    records = spool_.peek(kRoundRecords, kRoundBytes);  // without those found in Kafka
    if (records.empty()) continue;
    if (deliver_round(records, stop)) {
      backoff = 1s;
    } else if (!stop.stop_requested()) {
      failed();
    }
  }
  metrics_.spool_size(spool_.depth(), spool_.bytes());
}

bool EventProducer::ensure_topic(std::stop_token stop) {
  rd_kafka_t* rk = handle_->rk.get();
  const int timeout_ms = call_timeout_ms(kafka_);
  {
    std::unique_ptr<rd_kafka_topic_t, TopicDeleter> topic(
        rd_kafka_topic_new(rk, events_.topic.c_str(), nullptr));
    const rd_kafka_metadata_t* raw = nullptr;
    const auto err = rd_kafka_metadata(rk, 0, topic.get(), &raw, timeout_ms);
    const std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> md(raw);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn("events: cannot reach Kafka to check topic {}: {}; {} event(s) wait in the "
                   "spool", events_.topic, rd_kafka_err2str(err), spool_.depth());
      return false;
    }
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topics[0].partition_cnt > 0) {
      topic_ready_ = true;
      return true;
    }
  }
  std::array<char, 512> error{};
  std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter> new_topic(
      rd_kafka_NewTopic_new(events_.topic.c_str(), events_.partitions,
                            events_.replication_factor, error.data(), error.size()));
  if (!new_topic) {
    spdlog::error("events: cannot create topic {}: {}", events_.topic, error.data());
    return false;
  }
  for (const auto& [name, value] : events_.topic_config) {
    rd_kafka_NewTopic_set_config(new_topic.get(), name.c_str(), value.c_str());
  }
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS));
  const int admin_timeout_ms = static_cast<int>(kafka_.request_timeout.count());
  rd_kafka_AdminOptions_set_request_timeout(options.get(), admin_timeout_ms, error.data(),
                                            error.size());
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), admin_timeout_ms, error.data(),
                                              error.size());
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
  rd_kafka_CreateTopics(rk, topics, 1, options.get(), queue.get());
  const auto deadline = Clock::now() + kafka_.request_timeout + 2s;
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event;
  while (!event && Clock::now() < deadline && !stop.stop_requested()) {
    event.reset(rd_kafka_queue_poll(queue.get(), 200));
  }
  if (!event) return false;
  rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
  std::string reason = err ? rd_kafka_event_error_string(event.get()) : "";
  if (!err) {
    std::size_t count = 0;
    const auto* result = rd_kafka_event_CreateTopics_result(event.get());
    const rd_kafka_topic_result_t** results =
        result ? rd_kafka_CreateTopics_result_topics(result, &count) : nullptr;
    if (count == 1) {
      err = rd_kafka_topic_result_error(results[0]);
      const char* message = rd_kafka_topic_result_error_string(results[0]);
      reason = message ? message : "";
    }
  }
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::info("events: created topic {} ({} partitions, replication factor {})", events_.topic,
                 events_.partitions, events_.replication_factor);
  } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    spdlog::error("events: cannot create topic {}: {} ({}); {} event(s) wait in the spool",
                  events_.topic, reason, rd_kafka_err2name(err), spool_.depth());
    return false;
  }
  topic_ready_ = true;
  return true;
}

bool EventProducer::resolve_doubts(const std::vector<SpoolRecord>& records, std::stop_token stop) {
  std::map<std::string, std::uint64_t> doubt;  // event id -> seq
  std::int64_t since = std::numeric_limits<std::int64_t>::max();
  for (const SpoolRecord& r : records) {
    if (r.first_attempt_ms == 0 || not_persisted_.contains(r.seq)) continue;
    doubt[labels_of(r.value).id] = r.seq;
    since = std::min(since, r.first_attempt_ms);
  }
  if (doubt.empty()) return true;

  ConfPtr conf = base_conf(kafka_);
  set(conf.get(), "group.id", kafka_.client_id + "-events-check");
  set(conf.get(), "enable.auto.commit", "false");
  set(conf.get(), "enable.auto.offset.store", "false");
  set(conf.get(), "enable.partition.eof", "true");
  set(conf.get(), "isolation.level", "read_uncommitted");
  set(conf.get(), "allow.auto.create.topics", "false");
  HandlePtr consumer = new_handle(RD_KAFKA_CONSUMER, std::move(conf));
  rd_kafka_t* rk = consumer.get();
  const int timeout_ms = call_timeout_ms(kafka_);

  std::vector<std::int32_t> partitions;
  {
    std::unique_ptr<rd_kafka_topic_t, TopicDeleter> topic(
        rd_kafka_topic_new(rk, events_.topic.c_str(), nullptr));
    const rd_kafka_metadata_t* raw = nullptr;
    const auto err = rd_kafka_metadata(rk, 0, topic.get(), &raw, timeout_ms);
    const std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> md(raw);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
    if (md->topic_cnt == 1 && is_unknown_topic(md->topics[0].err)) {
      for (const auto& [id, seq] : doubt) not_persisted_.insert(seq);  // no topic, no event
      return true;
    }
    if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
      partitions.push_back(md->topics[0].partitions[i].id);
    }
  }
  std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter> list(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const std::int32_t p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), events_.topic.c_str(), p)->offset =
        since - kClockSlackMs;
  }
  if (rd_kafka_offsets_for_times(rk, list.get(), timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return false;
  }
  std::map<std::int32_t, std::int64_t> end;  // partitions to read, up to this offset
  std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter> assignment(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (int i = 0; i < list->cnt; ++i) {
    const auto& tp = list->elems[i];
    if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
    if (tp.offset < 0) continue;  // nothing written since the first attempt
    std::int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(rk, events_.topic.c_str(), tp.partition, &low, &high,
                                         timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return false;
    }
    if (tp.offset >= high) continue;
    end[tp.partition] = high;
    rd_kafka_topic_partition_list_add(assignment.get(), events_.topic.c_str(), tp.partition)
        ->offset = tp.offset;
  }
  std::vector<std::uint64_t> found;
  if (!end.empty()) {
    if (rd_kafka_assign(rk, assignment.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
    const auto deadline = Clock::now() + kVerifyDeadline;
    while (!end.empty()) {
      if (stop.stop_requested() || Clock::now() >= deadline) {
        rd_kafka_assign(rk, nullptr);
        if (!stop.stop_requested()) {
          spdlog::warn("events: could not read topic {} back in time to check {} event(s) in "
                       "doubt; will try again", events_.topic, doubt.size());
        }
        return false;
      }
      std::unique_ptr<rd_kafka_message_t, MessageDeleter> m(rd_kafka_consumer_poll(rk, 200));
      if (!m) continue;
      const auto it = end.find(m->partition);
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (it != end.end() && m->offset >= it->second) end.erase(it);
        continue;
      }
      if (m->err) continue;  // transient; the deadline bounds it
      if (m->payload) {
        const std::string value(static_cast<const char*>(m->payload), m->len);
        if (const auto d = doubt.find(labels_of(value).id); d != doubt.end()) {
          found.push_back(d->second);
        }
      }
      if (it != end.end() && m->offset + 1 >= it->second) end.erase(it);
    }
    rd_kafka_assign(rk, nullptr);
  }
  std::set<std::uint64_t> present(found.begin(), found.end());
  for (const auto& [id, seq] : doubt) {
    if (!present.contains(seq)) not_persisted_.insert(seq);
  }
  if (!found.empty()) {
    for (const SpoolRecord& r : records) {
      if (!present.contains(r.seq)) continue;
      const Labels l = labels_of(r.value);
      metrics_.count(l.type, l.state, "delivered");
    }
    spool_.acknowledge(found);
    delivered_ += found.size();
  }
  spdlog::info("events: {} event(s) sent before the last stop without an acknowledgement: {} "
               "found in {} (not sent again), {} to send", doubt.size(), found.size(),
               events_.topic, doubt.size() - found.size());
  return true;
}

bool EventProducer::deliver_round(const std::vector<SpoolRecord>& records, std::stop_token stop) {
  rd_kafka_t* rk = handle_->rk.get();
  std::vector<std::uint64_t> seqs;
  for (const SpoolRecord& r : records) seqs.push_back(r.seq);
  spool_.mark_attempted(seqs, now_ms());

  std::vector<Slot> slots(records.size());
  static constexpr std::string_view kContentType = kStructuredContentType;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const SpoolRecord& r = records[i];
    not_persisted_.erase(r.seq);
    while (true) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(events_.topic.c_str()),
          RD_KAFKA_V_KEY(const_cast<char*>(r.key.data()), r.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_HEADER("content-type", kContentType.data(),
                            static_cast<ssize_t>(kContentType.size())),
          RD_KAFKA_V_OPAQUE(&slots[i]), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !stop.stop_requested()) {
        rd_kafka_poll(rk, 100);
        continue;
      }
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        slots[i] = Slot{true, err, RD_KAFKA_MSG_STATUS_NOT_PERSISTED};
      }
      break;
    }
  }

  const auto all_done = [&] {
    return std::all_of(slots.begin(), slots.end(), [](const Slot& s) { return s.done; });
  };
  const auto started = Clock::now();
  auto next_log = started + 10s;
  bool purged = false;
  while (!all_done()) {
    rd_kafka_poll(rk, 100);
    if (stop.stop_requested() && !purged) {
      // Whatever is still queued or in flight stays in the spool (in doubt if in flight).
      rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      purged = true;
      const auto until = Clock::now() + 2s;
      while (!all_done() && Clock::now() < until) rd_kafka_poll(rk, 50);
      break;
    }
    if (Clock::now() >= next_log) {
      const auto waiting = std::count_if(slots.begin(), slots.end(), [](const Slot& s) { return !s.done; });
      spdlog::warn("events: waiting for Kafka to acknowledge {} event(s) (for {}s); {} in the "
                   "spool", waiting,
                   std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count(),
                   spool_.depth());
      next_log = Clock::now() + kWaitingLogEvery;
    }
  }

  std::vector<std::uint64_t> acked;
  std::size_t failures = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  bool fatal = false;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Slot& s = slots[i];
    if (s.done && s.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      acked.push_back(records[i].seq);
      continue;
    }
    ++failures;
    if (!first_error) first_error = s.done ? s.err : RD_KAFKA_RESP_ERR__TIMED_OUT;
    if (s.done && s.status == RD_KAFKA_MSG_STATUS_NOT_PERSISTED) {
      not_persisted_.insert(records[i].seq);
    }
    if (s.done && is_unknown_topic(s.err)) topic_ready_ = false;
    if (s.done && s.err == RD_KAFKA_RESP_ERR__FATAL) fatal = true;
  }
  if (!acked.empty()) {
    spool_.acknowledge(acked);
    delivered_ += acked.size();
    const auto now = std::chrono::system_clock::now();
    std::size_t j = 0;
    for (const SpoolRecord& r : records) {
      if (j >= acked.size() || acked[j] != r.seq) continue;
      ++j;
      const Labels l = labels_of(r.value);
      metrics_.count(l.type, l.state, "delivered");
      if (l.time) metrics_.delivered_after(std::chrono::duration<double>(now - *l.time).count());
    }
  }
  metrics_.spool_size(spool_.depth(), spool_.bytes());
  if (failures > 0 && !stop.stop_requested()) {
    spdlog::warn("events: {} of {} event(s) not delivered: {}; they stay in the spool and are "
                 "retried", failures, records.size(), rd_kafka_err2str(first_error));
  }
  if (rd_kafka_fatal_error(rk, nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) fatal = true;
  if (fatal && !stop.stop_requested()) {
    spdlog::warn("events: the producer hit a fatal error; starting a new one");
    recreate_handle();
  }
  return failures == 0;
}

}  // namespace ks::events
