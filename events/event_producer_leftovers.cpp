// EventProducer's check of a fleet agent's leftover events (events/leftover_events.hpp):
// before the first delivery of a run, the whole events topic is read once.
#include <spdlog/spdlog.h>

#include <set>

#include "events/cloudevent.hpp"
#include "events/event_producer.hpp"
#include "events/events_topic_reader.hpp"
#include "events/leftover_events.hpp"

namespace ks::events {

namespace {
constexpr auto kLeftoverReadDeadline = std::chrono::seconds(60);
}

// False when the topic could not be read (the leftovers then wait, like any delivery).
bool EventProducer::drop_superseded_leftovers(std::stop_token stop) {
  std::vector<LeftoverEvent> leftovers;
  for (const SpoolRecord& r : spool_.pending()) {
    if (!leftovers_.contains(r.seq)) continue;
    if (ParsedEvent parsed = parse_cloudevent(r.value); parsed.event) {
      leftovers.push_back({r.seq, std::move(*parsed.event)});
    }
  }
  if (stop.stop_requested()) return false;  // the leftovers stay in the spool for the next run
  if (leftovers.empty()) {  // delivered, or unreadable records the spool reports itself
    leftovers_.clear();
    return true;
  }
  std::vector<HealthEvent> topic;
  try {
    topic = read_all_events(kafka_, events_.topic, "events-leftovers",
                            std::chrono::steady_clock::now() + kLeftoverReadDeadline);
  } catch (const EventsTopicError& e) {
    if (e.kind() != EventsTopicError::Kind::no_topic) {
      spdlog::warn("events: cannot read {} to check {} event(s) left by the previous run "
                   "against the fleet's ({}); they wait in the spool",
                   events_.topic, leftovers.size(), e.what());
      return false;
    }
  }
  const std::vector<std::uint64_t> superseded = superseded_leftovers(topic, leftovers);
  const std::set<std::uint64_t> dropped(superseded.begin(), superseded.end());
  for (const LeftoverEvent& l : leftovers) {
    if (!dropped.contains(l.seq)) continue;
    metrics_.count(short_type(l.event.type), state_name(l.event.state), "superseded");
    spdlog::info("events: not sending {} {} {} (id={}) left by the previous run: {} has a newer "
                 "or the same state for it (another agent took the condition over)",
                 state_name(l.event.state), short_type(l.event.type), l.event.subject, l.event.id,
                 events_.topic);
  }
  spool_.acknowledge(superseded);
  leftovers_.clear();
  return true;
}

}  // namespace ks::events
