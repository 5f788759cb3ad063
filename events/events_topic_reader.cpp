#include "events/events_topic_reader.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "events/cloudevent.hpp"
#include "kafka/topic_reader.hpp"

namespace ks::events {
namespace {

EventsTopicError::Kind kind_of(kafka::TopicReadError::Kind kind) {
  switch (kind) {
    case kafka::TopicReadError::Kind::config:
      return EventsTopicError::Kind::config;
    case kafka::TopicReadError::Kind::unreachable:
      return EventsTopicError::Kind::unreachable;
    case kafka::TopicReadError::Kind::no_topic:
      return EventsTopicError::Kind::no_topic;
    case kafka::TopicReadError::Kind::read:
      break;
  }
  return EventsTopicError::Kind::read;
}

}  // namespace

EventsTopicReader::EventsTopicReader(const KafkaConfig& kafka, const std::string& topic,
                                     const std::string& client_suffix) {
  kafka::TopicReaderSettings settings;
  settings.topic = topic;
  settings.name = "events-" + client_suffix;
  settings.client_id = kafka.client_id + "-" + client_suffix;
  // Never joined or committed (partitions are assigned), but librdkafka wants a group id.
  settings.group_id = fmt::format("{}-{}-{}", kafka.client_id, client_suffix, getpid());
  settings.timeout = kafka.request_timeout;
  try {
    reader_ = std::make_unique<kafka::TopicReader>(kafka, std::move(settings));
  } catch (const kafka::TopicReadError& e) {
    throw EventsTopicError(kind_of(e.kind()), e.what());
  }
}

EventsTopicReader::~EventsTopicReader() = default;

std::optional<TopicRecord> EventsTopicReader::poll(std::chrono::milliseconds timeout,
                                                   std::string& error) {
  std::optional<kafka::TopicRecord> m = reader_->poll(timeout, error);
  if (!m) return std::nullopt;
  TopicRecord r;
  r.partition = m->partition;
  r.offset = m->offset;
  r.value = std::move(m->value);
  r.event = parse_cloudevent(r.value).event;
  return r;
}

bool EventsTopicReader::caught_up() const { return reader_->caught_up(); }

std::vector<HealthEvent> read_all_events(const KafkaConfig& kafka, const std::string& topic,
                                         const std::string& client_suffix,
                                         std::chrono::steady_clock::time_point deadline) {
  EventsTopicReader reader(kafka, topic, client_suffix);
  std::vector<HealthEvent> events;
  std::string error, last_error;
  while (!reader.caught_up()) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw EventsTopicError(EventsTopicError::Kind::read,
                             fmt::format("timed out reading {}{}", topic,
                                         last_error.empty() ? "" : ": " + last_error));
    }
    std::optional<TopicRecord> r = reader.poll(std::chrono::milliseconds(200), error);
    if (!error.empty()) last_error = error;
    if (r && r->event) events.push_back(std::move(*r->event));
  }
  return events;
}

}  // namespace ks::events
