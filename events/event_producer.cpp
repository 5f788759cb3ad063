#include "events/event_producer.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <map>

#include "events/cloudevent.hpp"
#include "kafka/create_topic.hpp"
#include "kafka/producer.hpp"
#include "kafka/topic_lookup.hpp"
#include "kafka/topic_reader.hpp"

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

// Blocking Kafka calls are bounded so that a stop is never held up for long.
std::chrono::milliseconds call_timeout(const KafkaConfig& kafka) {
  return std::min<std::chrono::milliseconds>(kafka.request_timeout, 3s);
}

bool is_unknown_topic(kafka::ErrorCode err) {
  return err == kafka::ErrorCode::local_unknown_topic ||
         err == kafka::ErrorCode::unknown_topic_or_part;
}

struct Slot {
  bool done = false;
  kafka::ErrorCode err = kafka::ErrorCode::no_error;
  kafka::Persistence persistence = kafka::Persistence::not_persisted;
};

}  // namespace

struct EventProducer::Round {
  std::uint64_t first_tag = 0;  // records[i] is sent with tag first_tag + i
  std::vector<Slot> slots;
  bool all_done() const {
    return std::all_of(slots.begin(), slots.end(), [](const Slot& s) { return s.done; });
  }
};

EventProducer::EventProducer(const KafkaConfig& kafka, const EventsConfig& events, Spool& spool,
                             EventMetrics& metrics, bool in_fleet)
    : kafka_(kafka), events_(events), spool_(spool), metrics_(metrics) {
  if (in_fleet) {
    for (const SpoolRecord& r : spool_.pending()) leftovers_.insert(r.seq);
  }
  recreate_handle();
}

EventProducer::~EventProducer() { stop(); }

void EventProducer::recreate_handle() {
  kafka::ProducerSettings settings;
  settings.name = "events producer";
  settings.properties = {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      // Never give up on a message: the spool's order is kept by waiting, not by retrying.
      {"message.timeout.ms", "0"},
      {"allow.auto.create.topics", "false"},
      {"linger.ms", "10"},
  };
  // librdkafka's own lines are detail here: the producer reports what matters itself.
  settings.logs = kafka::LibraryLogs::detail;
  settings.on_delivery = [this](const kafka::Delivery& d) { on_delivery(d); };
  try {
    producer_ = std::make_unique<kafka::Producer>(kafka_, std::move(settings));
  } catch (const std::exception& e) {  // kafka::KafkaError: a property refused, no metadata in time
    throw ProducerError(fmt::format("events producer: {}", e.what()));
  }
}

// A report of an earlier round (after a stop purged it) finds no slot: it is ignored, the
// record is still in the spool, in doubt.
void EventProducer::on_delivery(const kafka::Delivery& d) {
  if (!round_ || d.tag < round_->first_tag || d.tag - round_->first_tag >= round_->slots.size()) {
    return;
  }
  round_->slots[d.tag - round_->first_tag] = Slot{true, d.error, d.persistence};
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
      // Served while idle too: librdkafka's statistics (kafka.statistics_interval) and
      // errors wait in the producer's queue until polled.
      producer_->poll(std::chrono::milliseconds(0));
      wait_or_stop(stop, 1s);
      continue;
    }
    if (!resolve_doubts(records, stop)) {
      if (!stop.stop_requested()) failed();
      continue;
    }
    if (!leftovers_.empty() && !drop_superseded_leftovers(stop)) {
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
  kafka::TopicInfo topic;
  try {
    topic = kafka::lookup_topic(producer_->client(), events_.topic, call_timeout(kafka_));
  } catch (const std::exception& e) {  // kafka::KafkaError: a property refused, no metadata in time
    spdlog::warn("events: cannot reach Kafka to check topic {}: {}; {} event(s) wait in the "
                 "spool", events_.topic, e.what(), spool_.depth());
    return false;
  }
  if (topic.usable()) {
    if (create_failed_) log_topic_there_now();
    topic_ready_ = true;
    return true;
  }
  create_failed_ = !create_topic(stop);
  return !create_failed_;
}

bool EventProducer::create_topic(std::stop_token stop) {
  kafka::CreateTopicsOptions options;
  options.request_timeout = kafka_.request_timeout;
  options.operation_timeout = kafka_.request_timeout;
  options.deadline = Clock::now() + kafka_.request_timeout + 2s;
  options.give_up = [&stop] { return stop.stop_requested(); };
  kafka::TopicCreation creation;
  try {
    creation = kafka::create_topic(producer_->client(),
                                   {events_.topic, events_.partitions, events_.replication_factor,
                                    events_.topic_config},
                                   options);
  } catch (const kafka::InvalidNewTopic& e) {
    spdlog::error("events: cannot create topic {}: {}", events_.topic, e.reason());
    return false;
  }
  if (!creation.answered) return false;
  if (creation.created()) {
    spdlog::info("events: created topic {} ({} partitions, replication factor {})", events_.topic,
                 events_.partitions, events_.replication_factor);
  } else if (!creation.exists()) {
    spdlog::error("events: cannot create topic {}: {} ({}); {} event(s) wait in the spool",
                  events_.topic, creation.message, kafka::error_name(creation.error),
                  spool_.depth());
    return false;
  } else if (create_failed_) {
    log_topic_there_now();
  }
  topic_ready_ = true;
  return true;
}

// After a create that failed (often a timeout at the client while the broker went on), the
// log would otherwise end on that error although the topic is there and events flow.
void EventProducer::log_topic_there_now() const {
  spdlog::info("events: topic {} is there now: the create that failed took effect, or another "
               "agent created it", events_.topic);
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
  const auto found = find_in_topic(doubt, since - kClockSlackMs, stop);
  if (!found) return false;
  const std::set<std::uint64_t> present(found->begin(), found->end());
  for (const auto& [id, seq] : doubt) {
    if (!present.contains(seq)) not_persisted_.insert(seq);
  }
  acknowledge_found(records, *found);
  spdlog::info("events: {} event(s) sent before the last stop without an acknowledgement: {} "
               "found in {} (not sent again), {} to send", doubt.size(), found->size(),
               events_.topic, doubt.size() - found->size());
  return true;
}

// The spool sequence numbers of the events in doubt that are in the topic (written since
// `since_ms`); nullopt when the topic could not be read back (in time). No topic, no event.
std::optional<std::vector<std::uint64_t>> EventProducer::find_in_topic(
    const std::map<std::string, std::uint64_t>& doubt, std::int64_t since_ms,
    std::stop_token stop) {
  kafka::TopicReaderSettings settings;
  settings.topic = events_.topic;
  settings.name = "events-check";
  settings.client_id = kafka_.client_id;
  settings.group_id = kafka_.client_id + "-events-check";
  settings.since_ms = since_ms;
  settings.properties = {{"isolation.level", "read_uncommitted"}};
  settings.logs = kafka::LibraryLogs::detail;
  settings.timeout = call_timeout(kafka_);
  std::unique_ptr<kafka::TopicReader> reader;
  try {
    reader = std::make_unique<kafka::TopicReader>(kafka_, std::move(settings));
  } catch (const kafka::TopicReadError& e) {
    if (e.kind() == kafka::TopicReadError::Kind::no_topic && is_unknown_topic(e.code())) {
      return std::vector<std::uint64_t>{};
    }
    return std::nullopt;
  }
  std::vector<std::uint64_t> found;
  const auto deadline = Clock::now() + kVerifyDeadline;
  std::string error;
  while (!reader->caught_up()) {
    if (stop.stop_requested() || Clock::now() >= deadline) {
      if (!stop.stop_requested()) {
        spdlog::warn("events: could not read topic {} back in time to check {} event(s) in "
                     "doubt; will try again", events_.topic, doubt.size());
      }
      return std::nullopt;
    }
    const auto record = reader->poll(200ms, error);  // errors are transient; the deadline bounds them
    if (!record) continue;
    if (const auto d = doubt.find(labels_of(record->value).id); d != doubt.end()) {
      found.push_back(d->second);
    }
  }
  return found;
}

void EventProducer::acknowledge_found(const std::vector<SpoolRecord>& records,
                                      const std::vector<std::uint64_t>& found) {
  if (found.empty()) return;
  const std::set<std::uint64_t> present(found.begin(), found.end());
  for (const SpoolRecord& r : records) {
    if (!present.contains(r.seq)) continue;
    const Labels l = labels_of(r.value);
    metrics_.count(l.type, l.state, "delivered");
  }
  spool_.acknowledge(found);
  delivered_ += found.size();
}

bool EventProducer::deliver_round(const std::vector<SpoolRecord>& records, std::stop_token stop) {
  std::vector<std::uint64_t> seqs;
  for (const SpoolRecord& r : records) seqs.push_back(r.seq);
  spool_.mark_attempted(seqs, now_ms());
  Round round{next_tag_, std::vector<Slot>(records.size())};
  next_tag_ += records.size();
  round_ = &round;
  send(records, round, stop);
  await(round, stop);
  round_ = nullptr;
  return settle(records, round, stop);
}

void EventProducer::send(const std::vector<SpoolRecord>& records, Round& round,
                         std::stop_token stop) {
  static constexpr std::string_view kContentType = kStructuredContentType;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const SpoolRecord& r = records[i];
    not_persisted_.erase(r.seq);
    const kafka::OutgoingMessage message{events_.topic, r.key, r.value,
                                         {{"content-type", kContentType}}};
    while (true) {
      const kafka::ErrorCode err = producer_->produce(message, round.first_tag + i);
      if (err == kafka::ErrorCode::local_queue_full && !stop.stop_requested()) {
        producer_->poll(100ms);
        continue;
      }
      if (kafka::failed(err)) round.slots[i] = Slot{true, err, kafka::Persistence::not_persisted};
      break;
    }
  }
}

// Until every message is acknowledged or failed; at a stop, whatever is still queued or in
// flight is purged and stays in the spool (in doubt if it was in flight).
void EventProducer::await(Round& round, std::stop_token stop) {
  const auto started = Clock::now();
  auto next_log = started + 10s;
  while (!round.all_done()) {
    producer_->poll(100ms);
    if (stop.stop_requested()) {
      producer_->purge();
      const auto until = Clock::now() + 2s;
      while (!round.all_done() && Clock::now() < until) producer_->poll(50ms);
      return;
    }
    if (Clock::now() >= next_log) {
      const auto waiting = std::count_if(round.slots.begin(), round.slots.end(),
                                         [](const Slot& s) { return !s.done; });
      spdlog::warn("events: waiting for Kafka to acknowledge {} event(s) (for {}s); {} in the "
                   "spool", waiting,
                   std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count(),
                   spool_.depth());
      next_log = Clock::now() + kWaitingLogEvery;
    }
  }
}

bool EventProducer::settle(const std::vector<SpoolRecord>& records, const Round& round,
                           std::stop_token stop) {
  std::vector<std::uint64_t> acked;
  std::size_t failures = 0;
  kafka::ErrorCode first_error = kafka::ErrorCode::no_error;
  bool fatal = false;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Slot& s = round.slots[i];
    if (s.done && !kafka::failed(s.err)) {
      acked.push_back(records[i].seq);
      continue;
    }
    ++failures;
    if (!kafka::failed(first_error)) first_error = s.done ? s.err : kafka::ErrorCode::local_timed_out;
    if (s.done && s.persistence == kafka::Persistence::not_persisted) {
      not_persisted_.insert(records[i].seq);
    }
    if (s.done && is_unknown_topic(s.err)) topic_ready_ = false;
    if (s.done && s.err == kafka::ErrorCode::local_fatal) fatal = true;
  }
  acknowledge_delivered(records, acked);
  metrics_.spool_size(spool_.depth(), spool_.bytes());
  if (failures > 0 && !stop.stop_requested()) {
    spdlog::warn("events: {} of {} event(s) not delivered: {}; they stay in the spool and are "
                 "retried", failures, records.size(), kafka::error_name(first_error));
  }
  if (producer_->fatal_error()) fatal = true;
  if (fatal && !stop.stop_requested()) {
    spdlog::warn("events: the producer hit a fatal error; starting a new one");
    recreate_handle();
  }
  return failures == 0;
}

void EventProducer::acknowledge_delivered(const std::vector<SpoolRecord>& records,
                                          const std::vector<std::uint64_t>& acked) {
  if (acked.empty()) return;
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

}  // namespace ks::events
