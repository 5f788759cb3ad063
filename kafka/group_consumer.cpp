#include "kafka/group_consumer.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cstring>

#include "kafka/client.hpp"
#include "kafka/detail/conversions.hpp"

namespace ks::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// The context's user: what the rebalance callback needs.
struct RebalanceHooks {
  std::string name;
  std::function<void(const Rebalance&)> on_rebalance;
  bool pause_assigned = false;
};

struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

// Takes the error (librdkafka hands it to the caller to destroy).
void log_error(const std::string& name, const char* what, rd_kafka_error_t* error) {
  const ErrorPtr owned(error);
  if (owned) spdlog::error("{}: {}: {}", name, what, rd_kafka_error_string(owned.get()));
}

Rebalance describe_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             const rd_kafka_topic_partition_list_t* partitions) {
  Rebalance r;
  r.cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  r.partitions = detail::to_partitions(partitions);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) return r;
  r.kind = err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ? Rebalance::Kind::revoked
                                                       : Rebalance::Kind::failed;
  r.error = detail::code(err);
  r.lost = rd_kafka_assignment_lost(rk);
  return r;
}

// What librdkafka expects of a rebalance callback: the assignment changed accordingly.
void apply(rd_kafka_t* rk, const Rebalance& r, rd_kafka_topic_partition_list_t* partitions,
           const RebalanceHooks* hooks) {
  const std::string name = hooks ? hooks->name : "group-consumer";
  if (r.kind == Rebalance::Kind::assigned) {
    if (r.cooperative) {
      log_error(name, "incremental assign", rd_kafka_incremental_assign(rk, partitions));
    } else if (const auto e = rd_kafka_assign(rk, partitions)) {
      spdlog::error("{}: assign: {}", name, rd_kafka_err2str(e));
    }
    if (hooks && hooks->pause_assigned) rd_kafka_pause_partitions(rk, partitions);
  } else if (r.kind == Rebalance::Kind::revoked && r.cooperative) {
    log_error(name, "incremental unassign", rd_kafka_incremental_unassign(rk, partitions));
  } else {
    rd_kafka_assign(rk, nullptr);
  }
}

void rebalance_callback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  const auto* context = static_cast<ClientContext*>(opaque);
  const auto* hooks = static_cast<const RebalanceHooks*>(context ? context->user() : nullptr);
  const Rebalance r = describe_rebalance(rk, err, partitions);
  if (hooks && hooks->on_rebalance) hooks->on_rebalance(r);
  apply(rk, r, partitions, hooks);
}

ConsumedMessage consumed(const rd_kafka_message_t* m, bool copy_value) {
  ConsumedMessage out;
  out.error = detail::code(m->err);
  if (m->err) out.error_text = rd_kafka_message_errstr(m);
  if (m->rkt) out.topic = rd_kafka_topic_name(m->rkt);
  out.partition = m->partition;
  out.offset = m->offset;
  if (!m->err) {
    rd_kafka_timestamp_type_t type;
    out.timestamp_ms = rd_kafka_message_timestamp(m, &type);
    if (copy_value && m->payload) out.value.assign(static_cast<const char*>(m->payload), m->len);
  }
  return out;
}

CommitResult commit_result(rd_kafka_event_t* event) {
  CommitResult r;
  r.tag = reinterpret_cast<std::uintptr_t>(rd_kafka_event_opaque(event));
  r.error = detail::code(rd_kafka_event_error(event));
  r.partitions = detail::to_partitions(rd_kafka_event_topic_partition_list(event));
  return r;
}

void sync_commit_done(rd_kafka_t*, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t* offsets, void* opaque) {
  auto* result = static_cast<CommitResult*>(opaque);
  result->error = detail::code(err);
  result->partitions = detail::to_partitions(offsets);
}

}  // namespace

struct GroupConsumer::State {
  RebalanceHooks hooks;
  bool copy_values = false;
  Client client;
  QueuePtr commits;  // after the client: destroyed before it
};

GroupConsumer::GroupConsumer(const KafkaConfig& kafka, GroupConsumerSettings settings)
    : state_(std::make_unique<State>()) {
  state_->hooks = {settings.name, std::move(settings.on_rebalance), settings.pause_assigned};
  state_->copy_values = settings.copy_values;
  const auto logs = detail::log_policy(settings.logs);
  // Served by rd_kafka_consumer_poll like the other callbacks (below).
  auto properties = settings.properties;
  properties.merge(statistics_properties(kafka));  // merge adds only keys not set: the caller's win
  state_->client = make_client(kafka, RD_KAFKA_CONSUMER, properties, settings.name,
                               [&logs](rd_kafka_conf_t* conf) {
                                 rd_kafka_conf_set_rebalance_cb(conf, rebalance_callback);
                                 if (logs) logs(conf);
                               });
  state_->client.context().set_user(&state_->hooks);
  // Callbacks (rebalance, error, log) are then served by rd_kafka_consumer_poll alone.
  rd_kafka_poll_set_consumer(native(state_->client));
  state_->commits.reset(rd_kafka_queue_new(native(state_->client)));
}

GroupConsumer::~GroupConsumer() = default;

void GroupConsumer::subscribe(const std::vector<std::string>& topics) {
  PartitionListPtr list = new_partition_list(static_cast<int>(topics.size()));
  for (const auto& t : topics) {
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (const auto err = rd_kafka_subscribe(native(state_->client), list.get())) {
    throw KafkaError(err, "subscribe failed: " + error_name(err));
  }
}

std::optional<ConsumedMessage> GroupConsumer::poll(std::chrono::milliseconds timeout) {
  const std::unique_ptr<rd_kafka_message_t, MessageDeleter> m(
      rd_kafka_consumer_poll(native(state_->client), static_cast<int>(timeout.count())));
  if (!m) return std::nullopt;
  return consumed(m.get(), state_->copy_values);
}

ErrorCode GroupConsumer::store_offsets(const std::vector<TopicPartition>& offsets) {
  return detail::code(rd_kafka_offsets_store(native(state_->client), detail::to_list(offsets).get()));
}

ErrorCode GroupConsumer::pause(const std::vector<TopicPartition>& partitions) {
  return detail::code(
      rd_kafka_pause_partitions(native(state_->client), detail::to_list(partitions).get()));
}

ErrorCode GroupConsumer::resume(const std::vector<TopicPartition>& partitions) {
  return detail::code(
      rd_kafka_resume_partitions(native(state_->client), detail::to_list(partitions).get()));
}

ErrorCode GroupConsumer::commit_async(const std::optional<std::vector<TopicPartition>>& offsets,
                                      std::uint64_t tag) {
  const PartitionListPtr list = offsets ? detail::to_list(*offsets) : nullptr;
  return detail::code(rd_kafka_commit_queue(native(state_->client), list.get(),
                                            state_->commits.get(), nullptr,
                                            reinterpret_cast<void*>(static_cast<std::uintptr_t>(tag))));
}

std::vector<CommitResult> GroupConsumer::commit_results() {
  std::vector<CommitResult> results;
  if (!state_->commits) return results;  // closed
  while (rd_kafka_event_t* raw = rd_kafka_queue_poll(state_->commits.get(), 0)) {
    const EventPtr event(raw);
    if (rd_kafka_event_type(raw) == RD_KAFKA_EVENT_OFFSET_COMMIT) {
      results.push_back(commit_result(raw));
    }
  }
  return results;
}

CommitResult GroupConsumer::commit_sync(const std::optional<std::vector<TopicPartition>>& offsets) {
  const PartitionListPtr list = offsets ? detail::to_list(*offsets) : nullptr;
  CommitResult result;
  // A NULL queue makes the call synchronous; the callback reports per-partition errors.
  const auto err =
      rd_kafka_commit_queue(native(state_->client), list.get(), nullptr, sync_commit_done, &result);
  if (err) result.error = detail::code(err);
  return result;
}

ErrorCode GroupConsumer::committed(std::vector<TopicPartition>& partitions,
                                   std::chrono::milliseconds timeout) {
  const PartitionListPtr list = detail::to_list(partitions);
  const auto err =
      rd_kafka_committed(native(state_->client), list.get(), static_cast<int>(timeout.count()));
  if (!err) partitions = detail::to_partitions(list.get());
  return detail::code(err);
}

std::optional<std::string> GroupConsumer::fatal_error() const {
  std::array<char, 512> text{};
  const auto err = rd_kafka_fatal_error(native(state_->client), text.data(), text.size());
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return std::string(rd_kafka_err2name(err)) + ": " + text.data();
}

ErrorCode GroupConsumer::close() {
  return detail::code(rd_kafka_consumer_close(native(state_->client)));
}

bool GroupConsumer::close_within(std::chrono::milliseconds deadline) {
  rd_kafka_t* rk = native(state_->client);
  QueuePtr queue(rd_kafka_queue_new(rk));
  log_error(state_->hooks.name, "close", rd_kafka_consumer_close_queue(rk, queue.get()));
  const auto until = Clock::now() + deadline;
  while (!rd_kafka_consumer_closed(rk) && Clock::now() < until) {
    const EventPtr event(rd_kafka_queue_poll(queue.get(), 100));
    if (event && rd_kafka_event_type(event.get()) == RD_KAFKA_EVENT_REBALANCE) {
      rd_kafka_assign(rk, nullptr);
    }
  }
  queue.reset();
  state_->commits.reset();
  if (rd_kafka_consumer_closed(rk)) return true;
  rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  // The handle is gone: its wrapper must not destroy it again, so it is leaked on purpose
  // (the process is exiting).
  auto wrapper = std::make_unique<Client>(std::move(state_->client));
  (void)wrapper.release();
  return false;
}

}  // namespace ks::kafka
