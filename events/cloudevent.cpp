#include "events/cloudevent.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <ctime>

namespace ks::events {
namespace {

using Json = nlohmann::ordered_json;
using std::chrono::system_clock;

// FNV-1a over the fields, separated by a byte that cannot occur in them, run twice with
// different offset bases and finished with splitmix64 for a well-mixed 128 bits.
class IdHasher {
 public:
  void add(std::string_view field) {
    for (const char c : field) feed(static_cast<unsigned char>(c));
    feed(0x1f);
  }
  std::string hex() const {
    return fmt::format("{:016x}{:016x}", mix(a_), mix(b_ ^ a_));
  }

 private:
  static constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  void feed(unsigned char byte) {
    a_ = (a_ ^ byte) * kPrime;
    b_ = (b_ ^ byte) * kPrime;
    b_ ^= b_ >> 29;
  }
  static std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  std::uint64_t a_ = 0xcbf29ce484222325ULL;
  std::uint64_t b_ = 0x84222325cbf29ce4ULL;
};

std::optional<EventState> state_of(std::string_view name) {
  if (name == "firing") return EventState::firing;
  if (name == "resolved") return EventState::resolved;
  return std::nullopt;
}

std::optional<Severity> severity_of(std::string_view name) {
  if (name == "info") return Severity::info;
  if (name == "warning") return Severity::warning;
  if (name == "critical") return Severity::critical;
  return std::nullopt;
}

bool digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::string event_id(std::string_view source, std::string_view type, std::string_view subject,
                     std::string_view condition, EventState state, HealthEvent::TimePoint time) {
  IdHasher hasher;
  hasher.add(source);
  hasher.add(type);
  hasher.add(subject);
  hasher.add(condition);
  hasher.add(state_name(state));
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  hasher.add(std::to_string(ms));
  return hasher.hex();
}

void assign_id(HealthEvent& event) {
  event.id = event_id(event.source, event.type, event.subject, event.condition, event.state,
                      event.time);
}

std::string format_time(HealthEvent::TimePoint time) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const long long millis = ms - static_cast<long long>(seconds) * 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

std::optional<HealthEvent::TimePoint> parse_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, hour) ||
      text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
      !digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    std::int64_t scale = 100000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      micros += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= text.size()) return std::nullopt;
  int offset_minutes = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh = 0, om = 0;
    if (!digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::int64_t seconds = static_cast<std::int64_t>(timegm(&tm)) - offset_minutes * 60;
  // system_clock counts nanoseconds in 64 bits, from 1677 to 2262: a time outside that (only a
  // corrupted or foreign event has one) would overflow the conversion, so it is no time.
  constexpr std::int64_t kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(system_clock::duration::max()).count() - 1;
  if (seconds > kLimit || seconds < -kLimit) return std::nullopt;
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
      std::chrono::seconds(seconds) + std::chrono::microseconds(micros)));
}

std::string to_cloudevent(const HealthEvent& event) {
  Json data = Json::object();
  data["state"] = state_name(event.state);
  data["severity"] = severity_name(event.severity);
  data["summary"] = event.summary;
  if (!event.condition.empty()) data["condition"] = event.condition;
  data["since"] = format_time(event.since);
  if (event.state == EventState::resolved) {
    if (!event.firing_id.empty()) data["firing_id"] = event.firing_id;
    data["duration_seconds"] =
        std::chrono::duration<double>(event.time - event.since).count();
  }
  data["observed"] = event.observed;
  data["thresholds"] = event.thresholds;

  Json ce = Json::object();
  ce["specversion"] = kSpecVersion;
  ce["id"] = event.id;
  ce["source"] = event.source;
  ce["type"] = event.type;
  ce["subject"] = event.subject;
  ce["time"] = format_time(event.time);
  ce["datacontenttype"] = kDataContentType;
  ce["data"] = std::move(data);
  // Replace invalid UTF-8 (a group name is arbitrary bytes) rather than throw.
  return ce.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

// The CloudEvents attributes of `ce` into `event`; false (and `error`) when one is wrong.
bool read_attributes(const Json& ce, HealthEvent& event, std::string& error) {
  const auto string_attr = [&](const char* name, std::string& into) {
    const auto it = ce.find(name);
    if (it == ce.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      error = fmt::format("missing or empty \"{}\"", name);
      return false;
    }
    into = it->get<std::string>();
    return true;
  };
  std::string specversion, time;
  if (!string_attr("specversion", specversion)) return false;
  if (specversion != kSpecVersion) {
    error = fmt::format("unsupported specversion \"{}\"", specversion);
    return false;
  }
  if (!string_attr("id", event.id) || !string_attr("source", event.source) ||
      !string_attr("type", event.type) || !string_attr("subject", event.subject) ||
      !string_attr("time", time)) {
    return false;
  }
  const auto when = parse_time(time);
  if (!when) {
    error = fmt::format("\"time\" is not RFC 3339: \"{}\"", time);
    return false;
  }
  event.time = *when;
  return true;
}

// The event's `data` object into `event`; false (and `error`) when it is wrong.
bool read_data(const Json& data, HealthEvent& event, std::string& error) {
  const auto text_of = [&](const char* name) -> std::string {
    const auto it = data.find(name);
    return it != data.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto state = state_of(text_of("state"));
  if (!state) {
    error = "data.state is neither \"firing\" nor \"resolved\"";
    return false;
  }
  event.state = *state;
  event.severity = severity_of(text_of("severity")).value_or(Severity::info);
  event.summary = text_of("summary");
  event.condition = text_of("condition");
  event.firing_id = text_of("firing_id");
  event.since = parse_time(text_of("since")).value_or(event.time);
  if (const auto it = data.find("observed"); it != data.end() && it->is_object()) {
    event.observed = *it;
  }
  if (const auto it = data.find("thresholds"); it != data.end() && it->is_object()) {
    event.thresholds = *it;
  }
  return true;
}

}  // namespace

ParsedEvent parse_cloudevent(std::string_view text) {
  ParsedEvent out;
  Json ce = Json::parse(text, nullptr, false);
  if (ce.is_discarded()) {
    out.error = "not JSON";
    return out;
  }
  if (!ce.is_object()) {
    out.error = "not a JSON object";
    return out;
  }
  HealthEvent event;
  if (!read_attributes(ce, event, out.error)) return out;
  const auto data = ce.find("data");
  if (data == ce.end() || !data->is_object()) {
    out.error = "missing \"data\" object";
    return out;
  }
  if (!read_data(*data, event, out.error)) return out;
  out.event = std::move(event);
  return out;
}

}  // namespace ks::events
