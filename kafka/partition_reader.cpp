#include "kafka/partition_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <exception>
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
// or starts of an earlier change are still pending: it stops them twice. rd_kafka_assign
// stops every partition assigned before (those kept are started again), so a change that
// finds partitions assigned is never sent within this long of the handle's previous change
// (their replies take milliseconds); a fleet changes its shards far less often, and a
// handover (kafka/partition_reader.hpp) happens once per catching up.
constexpr auto kChangeSpacing = std::chrono::milliseconds(300);

struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

std::map<std::string, std::string> reader_properties(const PartitionReaderSettings& settings,
                                                     std::chrono::milliseconds fetch_wait) {
  std::map<std::string, std::string> properties{
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},
      {"allow.auto.create.topics", "false"},
      // Aborted transactional offset commits are never applied (control batches, the
      // transaction markers, are skipped by librdkafka in either mode).
      {"isolation.level", "read_committed"},
      {"fetch.wait.max.ms", std::to_string(fetch_wait.count())},
  };
  if (!settings.group_id.empty()) properties["group.id"] = settings.group_id;
  for (const auto& [key, value] : settings.properties) properties[key] = value;
  return properties;
}

PartitionReadError::Kind kind_of(ErrorCode code) {
  if (code == ErrorCode::topic_authorization_failed) return PartitionReadError::Kind::not_permitted;
  return PartitionReadError::Kind::no_topic;
}

// One consumer handle of the reader and the partitions assigned to it.
struct Handle {
  Client client;
  std::set<std::int32_t> assigned;
  std::chrono::steady_clock::time_point last_change{};
  // rd_kafka_consumer_poll serves only the consumer queue: the main queue (error callbacks,
  // statistics) is served by rd_kafka_poll, at most this often.
  std::chrono::steady_clock::time_point main_queue_served{};

  void await_change_spacing() const {
    if (assigned.empty()) return;  // nothing to stop
    const auto earliest = last_change + kChangeSpacing;
    if (std::chrono::steady_clock::now() < earliest) std::this_thread::sleep_until(earliest);
  }

  // Assigns `wanted` (each at its position in `progress`) in place of what it reads now.
  void assign(const std::string& topic, const std::set<std::int32_t>& wanted,
              const std::map<std::int32_t, PartitionProgress>& progress) {
    if (wanted == assigned) return;
    await_change_spacing();
    PartitionListPtr list = new_partition_list(static_cast<int>(wanted.size()));
    for (const std::int32_t p : wanted) {
      // A partition kept goes on where it was; a new one starts at its position.
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = progress.at(p).position;
    }
    const auto e = rd_kafka_assign(native(client), wanted.empty() ? nullptr : list.get());
    if (e) {
      throw PartitionReadError(PartitionReadError::Kind::read, detail::code(e),
                               fmt::format("cannot read {}: {}", topic, rd_kafka_err2str(e)));
    }
    assigned = wanted;
    last_change = std::chrono::steady_clock::now();
  }

  void serve_main_queue() {
    if (const auto now = std::chrono::steady_clock::now();
        now - main_queue_served >= std::chrono::milliseconds(100)) {
      main_queue_served = now;
      client.poll();
    }
  }

  std::unique_ptr<rd_kafka_message_t, MessageDeleter> consume(std::chrono::milliseconds timeout) {
    return std::unique_ptr<rd_kafka_message_t, MessageDeleter>(
        rd_kafka_consumer_poll(native(client), static_cast<int>(timeout.count())));
  }

  void close() {
    if (!client) return;
    await_change_spacing();
    rd_kafka_assign(native(client), nullptr);
    rd_kafka_consumer_close(native(client));
  }

  // Whether the handle reads nothing and its last assignment change is done (the stops of
  // the partitions it handed over): it may be closed without waiting.
  bool idle_and_settled() const {
    return client && assigned.empty() &&
           std::chrono::steady_clock::now() >= last_change + kChangeSpacing;
  }
};

Client make_handle(const KafkaConfig& kafka, const PartitionReaderSettings& settings,
                   std::chrono::milliseconds fetch_wait, std::string name) {
  try {
    auto properties = reader_properties(settings, fetch_wait);
    properties.merge(statistics_properties(kafka));  // adds only keys not set: the reader's win
    return make_client(kafka, ClientKind::consumer, properties, std::move(name),
                       settings.failure_note);
  } catch (const KafkaError& e) {
    throw PartitionReadError(PartitionReadError::Kind::config, e.code, e.what());
  }
}

}  // namespace

struct PartitionReader::State {
  PartitionReaderSettings settings;
  KafkaConfig kafka;
  // Makes the reader's metadata and ListOffsets requests too (see the header). Closed once
  // it reads nothing (retire_catch_up), made again when partitions are added.
  Handle catch_up;
  Handle follower;
  int topic_partitions = 0;
  std::map<std::int32_t, PartitionProgress> progress;

  ~State() {
    follower.close();
    catch_up.close();
  }

  // The catch-up handle, made again if it was closed.
  Handle& catch_up_handle() {
    if (!catch_up.client) {
      catch_up.client = make_handle(kafka, settings, settings.catch_up_fetch_wait,
                                    settings.name + "-catch-up");
      catch_up.assigned.clear();
      catch_up.last_change = {};
    }
    return catch_up;
  }

  // An idle catch-up handle costs a librdkafka main thread and a thread per broker, each
  // waking about once a second, and a connection per broker, for as long as the reader
  // lives; it is needed again only when partitions are added (a fleet's shards changing):
  // closed once every partition it read is handed over and that change is done.
  void retire_catch_up() {
    if (!catch_up.idle_and_settled()) return;
    catch_up.close();
    catch_up.client = {};
  }

  // The topic's partitions, asked through `handle` (the catch-up handle unless given); the
  // wait ends soon after `stop` (StopRequested).
  TopicMetadata lookup(std::stop_token stop, Handle* handle = nullptr) {
    TopicMetadata info;
    try {
      ClusterMetadata md = fetch_topic_metadata(handle ? handle->client : catch_up_handle().client,
                                                settings.topic, settings.timeout, std::move(stop));
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
        fetch_watermarks(catch_up_handle().client, requests, {.timeout = settings.timeout},
                         std::move(stop));
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

  bool catching_up() const {
    return std::any_of(catch_up.assigned.begin(), catch_up.assigned.end(), [this](std::int32_t p) {
      const auto it = progress.find(p);
      return it != progress.end() && !it->second.caught_up;
    });
  }

  // Once every partition the catch-up handle reads is caught up, the follower reads them on
  // from where they are.
  void hand_over_caught_up() {
    if (catch_up.assigned.empty() || catching_up()) return;
    std::set<std::int32_t> following;
    for (const auto& [p, _] : progress) {
      if (follower.assigned.contains(p) || catch_up.assigned.contains(p)) following.insert(p);
    }
    follower.assign(settings.topic, following, progress);
    catch_up.assign(settings.topic, {}, progress);
  }

  // The record of `m` (which `from` returned), or nothing: an end, an error (`error`), or a
  // record of a partition `from` no longer reads or already read (a handle hands over at
  // the position reached; what it had fetched beyond is dropped).
  std::optional<PartitionRecord> take(const rd_kafka_message_t& m, const Handle& from,
                                      std::string& error);
};

PartitionReader::PartitionReader(const KafkaConfig& kafka, PartitionReaderSettings settings,
                                 std::stop_token stop)
    : state_(std::make_unique<State>()) {
  state_->settings = std::move(settings);
  state_->kafka = kafka;
  const PartitionReaderSettings& s = state_->settings;
  state_->follower.client = make_handle(kafka, s, s.fetch_wait, s.name);
  // Asked through the follower (it reads nothing yet: nothing waits behind a fetch), so that
  // it knows the topic's partitions before any is handed to it. A partition assigned to a
  // handle that has no metadata of its topic yet is only "desired" in librdkafka 2.0.2;
  // unassigned so (the reader closed before that handle's own metadata came), it is dropped
  // from the desired list while the barrier op of its resume
  // (rd_kafka_assignment_serve_removals -> rd_kafka_toppar_op_pause_resume ->
  // rd_kafka_toppar_op_version_bump, rdkafka_partition.c:197) sits in its fetch queue, no
  // longer forwarded after the fetch stop, holding a reference to it: neither is ever freed,
  // nor the topic, nor the handle's rk_ops queue that the partition's op queue forwards to
  // (LeakSanitizer, docs/testing.md). A partition of a known topic is purged and freed with
  // the topic by rd_kafka_destroy.
  state_->topic_partitions =
      static_cast<int>(state_->lookup(std::move(stop), &state_->follower).partitions.size());
}

PartitionReader::~PartitionReader() = default;

int PartitionReader::topic_partitions() const { return state_->topic_partitions; }

std::set<std::int32_t> PartitionReader::partitions() const {
  std::set<std::int32_t> out;
  for (const auto& [p, _] : state_->progress) out.insert(p);
  return out;
}

void PartitionReader::set_partitions(const std::set<std::int32_t>& wanted, std::stop_token stop) {
  State& s = *state_;
  std::erase_if(s.progress, [&](const auto& kv) { return !wanted.contains(kv.first); });
  std::vector<std::int32_t> added;
  for (const std::int32_t p : wanted) {
    if (!s.progress.contains(p)) added.push_back(p);
  }
  std::exception_ptr failure;
  try {
    s.measure(added, std::move(stop));
  } catch (...) {  // none added; those removed are still given up below
    for (const std::int32_t p : added) s.progress.erase(p);
    failure = std::current_exception();
  }
  std::set<std::int32_t> following;
  std::set<std::int32_t> catching_up;
  for (const auto& [p, pp] : s.progress) {
    // A partition found at its end when added has nothing to catch up.
    (s.follower.assigned.contains(p) || (pp.caught_up && !s.catch_up.assigned.contains(p))
         ? following
         : catching_up)
        .insert(p);
  }
  s.follower.assign(s.settings.topic, following, s.progress);
  if (!catching_up.empty() || s.catch_up.client) {
    s.catch_up_handle().assign(s.settings.topic, catching_up, s.progress);
  }
  if (failure) std::rethrow_exception(failure);
}

std::optional<PartitionRecord> PartitionReader::State::take(const rd_kafka_message_t& m,
                                                            const Handle& from,
                                                            std::string& error) {
  const auto it = from.assigned.contains(m.partition) ? progress.find(m.partition) : progress.end();
  if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (it != progress.end()) {
      it->second.position = std::max(it->second.position, m.offset);
      it->second.caught_up = true;
    }
    return std::nullopt;
  }
  if (m.err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
    throw PartitionReadError(PartitionReadError::Kind::not_permitted, detail::code(m.err),
                             fmt::format("topic {}: {}", settings.topic, rd_kafka_message_errstr(&m)));
  }
  if (m.err) {
    error = rd_kafka_message_errstr(&m);
    return std::nullopt;
  }
  if (it == progress.end() || m.offset < it->second.position) return std::nullopt;
  PartitionProgress& pp = it->second;
  pp.position = m.offset + 1;
  ++pp.records;
  if (pp.position >= pp.end) pp.caught_up = true;
  PartitionRecord r;
  r.partition = m.partition;
  r.offset = m.offset;
  if (m.key) r.key.assign(static_cast<const char*>(m.key), m.key_len);
  if (m.payload) r.value.emplace(static_cast<const char*>(m.payload), m.len);
  rd_kafka_timestamp_type_t type;
  r.timestamp_ms = rd_kafka_message_timestamp(&m, &type);
  return r;
}

std::optional<PartitionRecord> PartitionReader::poll(std::chrono::milliseconds timeout,
                                                     std::string& error) {
  error.clear();
  State& s = *state_;
  s.follower.serve_main_queue();
  if (s.catch_up.client) s.catch_up.serve_main_queue();
  // While partitions are caught up, the wait is spent on the catch-up handle (whose
  // answers come fast); the follower is only looked at.
  Handle& waited = s.catch_up.assigned.empty() ? s.follower : s.catch_up;
  Handle* from = &s.follower;
  auto m = &waited == &s.follower ? nullptr : s.follower.consume(std::chrono::milliseconds(0));
  if (!m) {
    from = &waited;
    m = waited.consume(timeout);
  }
  std::optional<PartitionRecord> record = m ? s.take(*m, *from, error) : std::nullopt;
  s.hand_over_caught_up();
  s.retire_catch_up();
  return record;
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
    // The cached end from the fetch answers of the handle reading it: no request.
    const Handle& reading =
        state_->catch_up.assigned.contains(p) ? state_->catch_up : state_->follower;
    if (rd_kafka_get_watermark_offsets(native(reading.client), state_->settings.topic.c_str(), p,
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
