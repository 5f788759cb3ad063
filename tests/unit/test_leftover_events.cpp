// A fleet agent's leftover events (spooled by its previous run, never delivered) against
// what the topic says meanwhile (events/leftover_events.hpp).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "events/leftover_events.hpp"

using ks::EventState;
using ks::HealthEvent;
using ks::events::LeftoverEvent;
using ks::events::superseded_leftovers;

namespace {

HealthEvent lag_event(const std::string& group, EventState state, int at_seconds) {
  HealthEvent e;
  e.type = "io.kafka-sentinel.group.lag_messages";
  e.subject = "group/" + group + "/topic/t";
  e.state = state;
  e.time = HealthEvent::TimePoint(std::chrono::seconds(1'700'000'000 + at_seconds));
  e.id = group + std::to_string(at_seconds);
  return e;
}

}  // namespace

TEST_CASE("a leftover firing that another agent fired since is not sent again", "[events]") {
  // test-fleet-netns under load: a0 spooled the firing at t=0 and was killed; a2 took the
  // group over, found nothing in the topic and fired at t=12; a0 restarted at t=22.
  const std::vector<HealthEvent> topic = {lag_event("g02", EventState::firing, 12)};
  const std::vector<LeftoverEvent> leftovers = {{7, lag_event("g02", EventState::firing, 0)}};
  CHECK(superseded_leftovers(topic, leftovers) == std::vector<std::uint64_t>{7});
}

TEST_CASE("a leftover older than the topic's latest state of its condition is dropped", "[events]") {
  const std::vector<HealthEvent> topic = {lag_event("g", EventState::firing, 0),
                                          lag_event("g", EventState::resolved, 20)};
  const std::vector<LeftoverEvent> leftovers = {{3, lag_event("g", EventState::firing, 10)}};
  CHECK(superseded_leftovers(topic, leftovers) == std::vector<std::uint64_t>{3});
}

TEST_CASE("leftovers that are news are all kept, in order", "[events]") {
  // Nothing in the topic for g1; g2 was firing (by this agent) and the leftovers resolve it
  // and fire it again: each a change of state, each newer.
  const std::vector<HealthEvent> topic = {lag_event("g2", EventState::firing, 0),
                                          lag_event("other", EventState::firing, 50)};
  const std::vector<LeftoverEvent> leftovers = {{1, lag_event("g1", EventState::firing, 5)},
                                                {2, lag_event("g2", EventState::resolved, 6)},
                                                {3, lag_event("g2", EventState::firing, 7)}};
  CHECK(superseded_leftovers(topic, leftovers).empty());
  CHECK(superseded_leftovers({}, leftovers).empty());
}

TEST_CASE("a repeated state among the leftovers themselves is dropped after the first", "[events]") {
  const std::vector<LeftoverEvent> leftovers = {{1, lag_event("g", EventState::firing, 5)},
                                                {2, lag_event("g", EventState::firing, 6)}};
  CHECK(superseded_leftovers({}, leftovers) == std::vector<std::uint64_t>{2});
}
