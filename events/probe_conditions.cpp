// The end-to-end probe's conditions of the transition detector (transition_detector.hpp):
//   probe.failing  a broker's probe fails for probe.failing_intervals intervals in a row: it
//                  leads no probed partition (down, or not re-led yet), or its messages were
//                  lost (not consumed back within probe.timeout) or refused by the producer;
//                  a broker in the grace of a partition the agent just created or added for
//                  it is not failing (the collector decides: collectors/probe/probe_grace.hpp);
//   probe.slow     the p99 of a broker's recent end-to-end latencies is above
//                  probe.slow_threshold (0: off).
// Both per broker ("broker/<id>"), judged on every probe cycle; a broker no longer answered
// for (the topic lost it as a replica) has its conditions resolved as no longer reported.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "events/transition_detector.hpp"

namespace ks::events {
namespace {

std::string type_name(std::string_view short_name) {
  return std::string(kEventTypePrefix) + std::string(short_name);
}

double millis(double seconds) { return std::round(seconds * 10000.0) / 10.0; }

}  // namespace

TransitionDetector::Observation TransitionDetector::observe_probe_failing(
    const ProbeSnapshot& s, const ProbeBrokerHealth& b) const {
  Observation o;
  o.event.type = type_name("probe.failing");
  o.event.subject = fmt::format("broker/{}", b.broker);
  o.event.severity = Severity::critical;
  o.holds = b.failing;
  o.event.observed = {{"broker", b.broker},
                      {"topic", s.topic},
                      {"probed_partitions", b.partitions},
                      {"in_metadata", b.live}};
  if (b.failing) o.event.observed["reason"] = b.reason;
  o.event.thresholds = {{"intervals", s.failing_intervals}};
  o.firing_summary = fmt::format("broker {}: end-to-end probe failing: {}", b.broker, b.reason);
  o.resolved_summary = fmt::format("broker {}: end-to-end probe succeeds again", b.broker);
  return o;
}

TransitionDetector::Observation TransitionDetector::observe_probe_slow(
    const ProbeSnapshot& s, const ProbeBrokerHealth& b) const {
  Observation o;
  o.event.type = type_name("probe.slow");
  o.event.subject = fmt::format("broker/{}", b.broker);
  o.event.severity = Severity::warning;
  const double limit = std::chrono::duration<double>(s.slow_threshold).count();
  const double p99 = b.end_to_end_p99.value_or(0);
  o.holds = b.end_to_end_p99 && p99 > limit;
  o.event.observed = {{"broker", b.broker},
                      {"end_to_end_p99_ms", millis(p99)},
                      {"samples", b.recent_samples}};
  o.event.thresholds = {{"end_to_end_p99_ms", millis(limit)}, {"intervals", s.failing_intervals}};
  o.firing_summary = fmt::format("broker {}: end-to-end probe p99 {:.1f} ms, above {:.1f} ms",
                                 b.broker, millis(p99), millis(limit));
  o.resolved_summary = fmt::format("broker {}: end-to-end probe p99 {:.1f} ms, back under {:.1f} ms",
                                   b.broker, millis(p99), millis(limit));
  return o;
}

std::vector<HealthEvent> TransitionDetector::on_probe(const ProbeSnapshot& snapshot) {
  const TimePoint now = snapshot.taken_at;
  std::vector<Observation> obs;
  for (const ProbeBrokerHealth& b : snapshot.brokers) {
    obs.push_back(observe_probe_failing(snapshot, b));
    // A broker without recent messages cannot be judged slow or fast: left as it was.
    if (snapshot.slow_threshold.count() > 0 && b.end_to_end_p99) {
      obs.push_back(observe_probe_slow(snapshot, b));
    }
  }
  std::set<std::string> unjudged;
  for (const ProbeBrokerHealth& b : snapshot.brokers) {
    if (!b.end_to_end_p99) unjudged.insert(fmt::format("broker/{}", b.broker));
  }
  const Frozen frozen = [&unjudged](const HealthEvent& base) {
    return base.type.ends_with("probe.slow") && unjudged.contains(base.subject);
  };
  const int cycles = std::max(snapshot.failing_intervals, 1);
  return process(Domain::probe, {cycles, cycles}, std::move(obs), frozen, now);
}

}  // namespace ks::events
