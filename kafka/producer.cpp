#include "kafka/producer.hpp"

#include <array>

#include "kafka/client.hpp"
#include "kafka/detail/conversions.hpp"

namespace ks::kafka {

namespace {

// The context's user: where the client's delivery reports go.
struct DeliverySink {
  std::function<void(const Delivery&)> on_delivery;
};

Persistence persistence(const rd_kafka_message_t* message) {
  switch (rd_kafka_message_status(message)) {
    case RD_KAFKA_MSG_STATUS_PERSISTED:
      return Persistence::persisted;
    case RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED:
      return Persistence::possibly_persisted;
    default:
      return Persistence::not_persisted;
  }
}

// The client's opaque is its ClientContext (make_client's); the message's is the tag.
void delivery_report(rd_kafka_t* rk, const rd_kafka_message_t* message, void*) {
  auto* context = static_cast<ClientContext*>(rd_kafka_opaque(rk));
  auto* sink = static_cast<DeliverySink*>(context ? context->user() : nullptr);
  if (!sink || !sink->on_delivery) return;
  Delivery d;
  d.tag = reinterpret_cast<std::uintptr_t>(message->_private);
  d.error = detail::code(message->err);
  d.persistence = persistence(message);
  if (message->rkt) d.topic = rd_kafka_topic_name(message->rkt);
  if (message->key) d.key = std::string_view(static_cast<const char*>(message->key), message->key_len);
  d.partition = message->partition;
  d.offset = message->offset;
  sink->on_delivery(d);
}

}  // namespace

struct Producer::State {
  DeliverySink sink;
  Client client;  // after the sink: destroyed (and so its last reports served) first
};

Producer::Producer(const KafkaConfig& kafka, ProducerSettings settings)
    : state_(std::make_unique<State>()) {
  state_->sink.on_delivery = std::move(settings.on_delivery);
  const auto logs = detail::log_policy(settings.logs);
  // Every producer is polled (delivery reports): statistics are served with them.
  auto properties = settings.properties;
  properties.merge(statistics_properties(kafka));  // merge adds only keys not set: the caller's win
  state_->client = make_client(kafka, RD_KAFKA_PRODUCER, properties, settings.name,
                               [&logs](rd_kafka_conf_t* conf) {
                                 rd_kafka_conf_set_dr_msg_cb(conf, delivery_report);
                                 if (logs) logs(conf);
                               });
  state_->client.context().set_user(&state_->sink);
}

Producer::~Producer() = default;

ErrorCode Producer::produce(const OutgoingMessage& m, std::uint64_t tag) {
  rd_kafka_headers_t* headers = nullptr;
  if (!m.headers.empty()) {
    headers = rd_kafka_headers_new(m.headers.size());
    for (const auto& [name, value] : m.headers) {
      rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                          static_cast<ssize_t>(value.size()));
    }
  }
  const std::string topic(m.topic);
  void* key = m.key ? const_cast<char*>(m.key->data()) : nullptr;
  const std::size_t key_size = m.key ? m.key->size() : 0;
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      native(state_->client), RD_KAFKA_V_TOPIC(topic.c_str()),
      RD_KAFKA_V_PARTITION(m.partition < 0 ? RD_KAFKA_PARTITION_UA : m.partition),
      RD_KAFKA_V_KEY(key, key_size),
      RD_KAFKA_V_VALUE(m.null_value ? nullptr : const_cast<char*>(m.value.data()),
                       m.null_value ? 0 : m.value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(tag))),
      RD_KAFKA_V_END);
  // On success the message owns the headers; on failure they are still ours.
  if (err && headers) rd_kafka_headers_destroy(headers);
  return detail::code(err);
}

void Producer::poll(std::chrono::milliseconds timeout) {
  rd_kafka_poll(native(state_->client), static_cast<int>(timeout.count()));
}

ErrorCode Producer::flush(std::chrono::milliseconds timeout) {
  return detail::code(rd_kafka_flush(native(state_->client), static_cast<int>(timeout.count())));
}

void Producer::purge() {
  rd_kafka_purge(native(state_->client), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

int Producer::queue_length() const { return rd_kafka_outq_len(native(state_->client)); }

std::optional<std::string> Producer::fatal_error() const {
  std::array<char, 512> text{};
  const auto err = rd_kafka_fatal_error(native(state_->client), text.data(), text.size());
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return std::string(rd_kafka_err2name(err)) + ": " + text.data();
}

const Client& Producer::client() const { return state_->client; }

}  // namespace ks::kafka
