// libFuzzer target: the CloudEvent reader of the events topic (events/cloudevent.hpp:
// parse_cloudevent, what `kafka-sentinel events` and a fleet agent taking over a role read
// back). Properties: any bytes give an event or an error, never a throw; an event has every
// required attribute; and an event read back can be written again and reads back the same:
// writing it (to_cloudevent) and parsing that gives the same event with its times cut to
// milliseconds, and writing it once more gives the same bytes (a fixpoint).
#include <chrono>
#include <string>

#include "events/cloudevent.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using std::chrono::floor;
using std::chrono::milliseconds;

void check_same(const ks::HealthEvent& a, const ks::HealthEvent& b) {
  KS_FUZZ_CHECK(a.id == b.id && a.source == b.source && a.type == b.type);
  KS_FUZZ_CHECK(a.subject == b.subject && a.condition == b.condition);
  KS_FUZZ_CHECK(a.state == b.state && a.severity == b.severity && a.summary == b.summary);
  KS_FUZZ_CHECK(floor<milliseconds>(a.time) == b.time);
  KS_FUZZ_CHECK(floor<milliseconds>(a.since) == b.since);
  KS_FUZZ_CHECK(a.observed == b.observed && a.thresholds == b.thresholds);
  if (a.state == ks::EventState::resolved) KS_FUZZ_CHECK(a.firing_id == b.firing_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ks::events::ParsedEvent parsed = ks::events::parse_cloudevent(text);
  KS_FUZZ_CHECK(parsed.event.has_value() != !parsed.error.empty());
  if (!parsed.event) return 0;
  const ks::HealthEvent& event = *parsed.event;
  KS_FUZZ_CHECK(!event.id.empty() && !event.source.empty() && !event.type.empty() &&
                !event.subject.empty());
  const std::string written = ks::events::to_cloudevent(event);
  const ks::events::ParsedEvent reread = ks::events::parse_cloudevent(written);
  if (!reread.event) {
    std::fprintf(stderr, "written: %s\nerror: %s\n", written.c_str(), reread.error.c_str());
  }
  KS_FUZZ_CHECK(reread.event.has_value());
  check_same(event, *reread.event);
  KS_FUZZ_CHECK(ks::events::to_cloudevent(*reread.event) == written);
  // The time as written reads back as the same instant.
  const auto time = ks::events::parse_time(ks::events::format_time(event.time));
  KS_FUZZ_CHECK(time && *time == floor<milliseconds>(event.time));
  return 0;
}
