#include "events/events_command.hpp"

#include <fnmatch.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <ostream>

#include "events/cloudevent.hpp"
#include "events/event_metrics.hpp"
#include "events/events_topic_reader.hpp"

namespace ks::events {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::atomic<bool> g_interrupted{false};

void on_signal(int) { g_interrupted = true; }

}  // namespace

std::string parse_events_arguments(const std::vector<std::string>& args,
                                   EventsCommandOptions& out) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--follow" || args[i] == "-f") {
      out.follow = true;
    } else if (args[i] == "--json") {
      out.json = true;
    } else if (args[i] == "--type") {
      if (i + 1 >= args.size()) return "--type needs a GLOB";
      out.type_glob = args[++i];
    } else {
      return "unknown argument \"" + args[i] + "\"";
    }
  }
  return "";
}

bool type_matches(const std::string& glob, const std::string& type) {
  if (glob.empty()) return true;
  return fnmatch(glob.c_str(), type.c_str(), 0) == 0 ||
         fnmatch(glob.c_str(), short_type(type).c_str(), 0) == 0;
}

std::string format_event(const HealthEvent& e) {
  std::string state(state_name(e.state));
  std::transform(state.begin(), state.end(), state.begin(), [](unsigned char c) {
    return static_cast<char>(std::toupper(c));
  });
  std::string subject = e.subject;
  if (!e.condition.empty()) subject += " (" + e.condition + ")";
  return fmt::format("{}  {:<8}  {:<8}  {:<24}  {:<32}  {}", format_time(e.time),
                     severity_name(e.severity), state, short_type(e.type), subject, e.summary);
}

namespace {

// Prints one record as the options ask (a filtered-out one not at all).
void print_record(const TopicRecord& r, const EventsCommandOptions& options, std::ostream& out) {
  if (r.event && !type_matches(options.type_glob, r.event->type)) return;
  if (!r.event && !options.type_glob.empty()) return;
  if (options.json) {
    out << r.value << "\n";
  } else if (r.event) {
    out << format_event(*r.event) << "\n";
  } else {
    out << fmt::format("(partition {} offset {}: not a health event)", r.partition, r.offset) << "\n";
  }
  out.flush();
}

// The records read before catching up, by event time across partitions.
void sort_by_event_time(std::vector<TopicRecord>& backlog) {
  const auto when = [](const TopicRecord& t) { return t.event ? t.event->time : HealthEvent::TimePoint{}; };
  std::stable_sort(backlog.begin(), backlog.end(),
                   [&when](const TopicRecord& a, const TopicRecord& b) { return when(a) < when(b); });
}

// First what is there (sorted by event time across partitions), then, with --follow,
// whatever comes. 1 when the topic could not be read to its end in time.
int print_topic(EventsTopicReader& reader, const Config& config, const EventsCommandOptions& options,
                std::ostream& out, std::ostream& err) {
  const auto print = [&](const TopicRecord& r) { print_record(r, options, out); };
  std::vector<TopicRecord> backlog;
  const auto deadline = Clock::now() + std::max<std::chrono::milliseconds>(30s, config.kafka.request_timeout * 3);
  bool caught_up = reader.caught_up();
  std::string error;
  while (!g_interrupted) {
    std::optional<TopicRecord> r = reader.poll(200ms, error);
    if (!caught_up && Clock::now() > deadline) {
      err << "kafka-sentinel events: timed out reading " << config.events.topic << "\n";
      return 1;
    }
    if (!error.empty()) err << "kafka-sentinel events: " << error << "\n";
    if (r) {
      if (caught_up) {
        print(*r);
      } else {
        backlog.push_back(std::move(*r));
      }
    }
    if (!caught_up && reader.caught_up()) {
      caught_up = true;
      sort_by_event_time(backlog);
      for (const TopicRecord& t : backlog) print(t);
      backlog.clear();
      if (!options.follow) break;
    }
    if (caught_up && !options.follow) break;
  }
  if (!caught_up) {
    for (const TopicRecord& t : backlog) print(t);
  }
  return 0;
}

}  // namespace

int run_events_command(const Config& config, const EventsCommandOptions& options,
                       std::ostream& out, std::ostream& err) {
  std::unique_ptr<EventsTopicReader> reader;
  try {
    reader = std::make_unique<EventsTopicReader>(config.kafka, config.events.topic, "events-cli");
  } catch (const EventsTopicError& e) {
    err << "kafka-sentinel events: " << e.what()
        << (e.kind() == EventsTopicError::Kind::no_topic ? " (no event published yet?)" : "")
        << "\n";
    return 1;
  }

  g_interrupted = false;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return print_topic(*reader, config, options, out, err);
}

}  // namespace ks::events
