#include "kafka/partition_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "kafka/client.hpp"
#include "kafka/detail/conversions.hpp"
#include "kafka/metadata.hpp"
#include "kafka/watermarks.hpp"

namespace ks::kafka {
namespace {

// librdkafka 2.0.2 aborts (rd_kafka_assignment_partition_stopped: assertion rktp_started,
// librdkafka issue 5573) when an assignment change removes partitions while the fetch stops
// of an earlier removal are still pending: it stops them twice. A removal is therefore never
// sent within this long of the previous one (their stop replies take milliseconds); a fleet
// changes its shards far less often.
constexpr auto kRemovalSpacing = std::chrono::milliseconds(300);

struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

std::map<std::string, std::string> reader_properties(const PartitionReaderSettings& settings) {
  std::map<std::string, std::string> properties{
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},
      {"allow.auto.create.topics", "false"},
      // Aborted transactional offset commits are never applied (control batches, the
      // transaction markers, are skipped by librdkafka in either mode).
      {"isolation.level", "read_committed"},
  };
  if (!settings.group_id.empty()) properties["group.id"] = settings.group_id;
  for (const auto& [key, value] : settings.properties) properties[key] = value;
  return properties;
}

PartitionReadError::Kind kind_of(ErrorCode code) {
  if (code == ErrorCode::topic_authorization_failed) return PartitionReadError::Kind::not_permitted;
  return PartitionReadError::Kind::no_topic;
}

}  // namespace

struct PartitionReader::State {
  PartitionReaderSettings settings;
  KafkaConfig kafka;
  Client client;
  int topic_partitions = 0;
  std::map<std::int32_t, PartitionProgress> progress;
  std::chrono::steady_clock::time_point last_removal{};
  // rd_kafka_consumer_poll serves only the consumer queue: the main queue (error callbacks,
  // statistics) is served by rd_kafka_poll, at most this often.
  std::chrono::steady_clock::time_point main_queue_served;

  ~State() {
    if (!client) return;
    await_removal_spacing();
    rd_kafka_assign(native(client), nullptr);
    rd_kafka_consumer_close(native(client));
  }

  void await_removal_spacing() const {
    const auto earliest = last_removal + kRemovalSpacing;
    if (std::chrono::steady_clock::now() < earliest) std::this_thread::sleep_until(earliest);
  }

  // The topic's partitions; the wait ends soon after `stop` (StopRequested).
  TopicMetadata lookup(std::stop_token stop) const {
    TopicMetadata info;
    try {
      ClusterMetadata md = fetch_topic_metadata(client, settings.topic, settings.timeout, std::move(stop));
      for (TopicMetadata& t : md.topics) {
        if (t.name == settings.topic) info = std::move(t);
      }
      if (info.name.empty()) info.error = ErrorCode::unknown_topic_or_part;
    } catch (const StopRequested&) {
      throw;
    } catch (const KafkaError& e) {
      throw PartitionReadError(PartitionReadError::Kind::unreachable, e.code,
                               fmt::format("cannot reach Kafka at {}: {}",
                                           kafka.bootstrap_servers, e.what()));
    }
    if (failed(info.error) || info.partitions.empty()) {
      const ErrorCode code = failed(info.error) ? info.error : ErrorCode::unknown_topic_or_part;
      throw PartitionReadError(kind_of(code), code,
                               fmt::format("topic {}: {}", settings.topic, error_name(code)));
    }
    return info;
  }

  // Start and end (last stable offset) of partitions newly assigned, one ListOffsets per
  // leader and kind.
  void measure(const std::vector<std::int32_t>& added, std::stop_token stop) {
    if (added.empty()) return;
    const TopicMetadata info = lookup(stop);
    std::vector<WatermarkRequest> requests;
    for (const std::int32_t p : added) {
      std::int32_t leader = -1;
      for (const auto& partition : info.partitions) {
        if (partition.id == p) leader = partition.leader;
      }
      requests.push_back({settings.topic, p, leader});
    }
    const WatermarkResults results =
        fetch_watermarks(client, requests, {.timeout = settings.timeout}, std::move(stop));
    for (std::size_t i = 0; i < added.size(); ++i) {
      const PartitionWatermarks& w = results.offsets[i];
      if (!w.known()) {
        throw PartitionReadError(PartitionReadError::Kind::unreachable, ErrorCode::local_timed_out,
                                 fmt::format("no end offsets of {} [{}]", settings.topic, added[i]));
      }
      PartitionProgress& pp = progress[added[i]];
      pp.start = pp.position = w.low;
      pp.end = w.high;
      pp.caught_up = w.high <= w.low;
    }
  }
};

PartitionReader::PartitionReader(const KafkaConfig& kafka, PartitionReaderSettings settings,
                                 std::stop_token stop)
    : state_(std::make_unique<State>()) {
  state_->settings = std::move(settings);
  state_->kafka = kafka;
  try {
    auto properties = reader_properties(state_->settings);
    properties.merge(statistics_properties(kafka));  // adds only keys not set: the reader's win
    state_->client = make_client(kafka, ClientKind::consumer, properties, state_->settings.name,
                                 state_->settings.failure_note);
  } catch (const KafkaError& e) {
    throw PartitionReadError(PartitionReadError::Kind::config, e.code, e.what());
  }
  state_->topic_partitions = static_cast<int>(state_->lookup(std::move(stop)).partitions.size());
}

PartitionReader::~PartitionReader() = default;

int PartitionReader::topic_partitions() const { return state_->topic_partitions; }

std::set<std::int32_t> PartitionReader::partitions() const {
  std::set<std::int32_t> out;
  for (const auto& [p, _] : state_->progress) out.insert(p);
  return out;
}

void PartitionReader::set_partitions(const std::set<std::int32_t>& wanted, std::stop_token stop) {
  const bool removes = std::any_of(state_->progress.begin(), state_->progress.end(),
                                   [&](const auto& kv) { return !wanted.contains(kv.first); });
  if (removes) state_->await_removal_spacing();
  std::erase_if(state_->progress, [&](const auto& kv) { return !wanted.contains(kv.first); });
  std::vector<std::int32_t> added;
  for (const std::int32_t p : wanted) {
    if (!state_->progress.contains(p)) added.push_back(p);
  }
  try {
    state_->measure(added, std::move(stop));
  } catch (...) {
    for (const std::int32_t p : added) state_->progress.erase(p);
    throw;
  }
  PartitionListPtr list = new_partition_list(static_cast<int>(wanted.size()));
  for (const auto& [p, pp] : state_->progress) {
    // A partition kept goes on where it was; a new one starts at its first offset.
    rd_kafka_topic_partition_list_add(list.get(), state_->settings.topic.c_str(), p)->offset =
        pp.position;
  }
  if (const auto e = rd_kafka_assign(native(state_->client), list.get())) {
    throw PartitionReadError(PartitionReadError::Kind::read, detail::code(e),
                             fmt::format("cannot read {}: {}", state_->settings.topic,
                                         rd_kafka_err2str(e)));
  }
  if (removes) state_->last_removal = std::chrono::steady_clock::now();
}

std::optional<PartitionRecord> PartitionReader::poll(std::chrono::milliseconds timeout,
                                                     std::string& error) {
  error.clear();
  if (const auto now = std::chrono::steady_clock::now();
      now - state_->main_queue_served >= std::chrono::milliseconds(100)) {
    state_->main_queue_served = now;
    state_->client.poll();
  }
  const std::unique_ptr<rd_kafka_message_t, MessageDeleter> m(
      rd_kafka_consumer_poll(native(state_->client), static_cast<int>(timeout.count())));
  if (!m) return std::nullopt;
  const auto it = state_->progress.find(m->partition);
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (it != state_->progress.end()) {
      it->second.position = std::max(it->second.position, m->offset);
      it->second.caught_up = true;
    }
    return std::nullopt;
  }
  if (m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
    throw PartitionReadError(PartitionReadError::Kind::not_permitted, detail::code(m->err),
                             fmt::format("topic {}: {}", state_->settings.topic,
                                         rd_kafka_message_errstr(m.get())));
  }
  if (m->err) {
    error = rd_kafka_message_errstr(m.get());
    return std::nullopt;
  }
  if (it == state_->progress.end()) return std::nullopt;  // from a partition just removed
  PartitionProgress& pp = it->second;
  pp.position = m->offset + 1;
  ++pp.records;
  if (pp.position >= pp.end) pp.caught_up = true;
  PartitionRecord r;
  r.partition = m->partition;
  r.offset = m->offset;
  if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) r.value.emplace(static_cast<const char*>(m->payload), m->len);
  rd_kafka_timestamp_type_t type;
  r.timestamp_ms = rd_kafka_message_timestamp(m.get(), &type);
  return r;
}

ReaderProgress PartitionReader::progress() const {
  ReaderProgress out;
  out.partitions = state_->progress;
  std::int64_t total = 0;
  std::int64_t done = 0;
  for (const auto& [p, pp] : state_->progress) {
    out.records += pp.records;
    out.caught_up = out.caught_up && pp.caught_up;
    total += pp.end - pp.start;
    done += pp.caught_up ? pp.end - pp.start : std::min(pp.position, pp.end) - pp.start;
    std::int64_t low = -1;
    std::int64_t high = -1;
    // The cached end from fetch answers: no request.
    if (rd_kafka_get_watermark_offsets(native(state_->client), state_->settings.topic.c_str(), p,
                                       &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.lag += std::max<std::int64_t>(0, high - pp.position);
    }
  }
  if (total > 0) out.percent = 100.0 * static_cast<double>(done) / static_cast<double>(total);
  return out;
}

bool PartitionReader::caught_up() const {
  return std::all_of(state_->progress.begin(), state_->progress.end(),
                     [](const auto& kv) { return kv.second.caught_up; });
}

}  // namespace ks::kafka
