#include "agent/events/events_command.hpp"

#include <fnmatch.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <ostream>

#include "exporters/kafka_events/cloudevent.hpp"
#include "exporters/kafka_events/event_metrics.hpp"

namespace ks::events {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::atomic<bool> g_interrupted{false};

void on_signal(int) { g_interrupted = true; }

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};

void quiet_log(const rd_kafka_t*, int, const char*, const char*) {}

// A message read back: the event (if it parses) and where it was.
struct Read {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string value;
  std::optional<HealthEvent> event;
};

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

int run_events_command(const Config& config, const EventsCommandOptions& options,
                       std::ostream& out, std::ostream& err) {
  const std::string& topic = config.events.topic;
  std::array<char, 512> error{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const auto set = [&](const std::string& name, const std::string& value) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error.data(), error.size()) !=
        RD_KAFKA_CONF_OK) {
      err << "kafka-sentinel events: " << name << "=" << value << ": " << error.data() << "\n";
      return false;
    }
    return true;
  };
  bool ok = true;
  for (const auto& [key, value] : config.kafka.properties) ok = ok && set(key, value);
  ok = ok && set("bootstrap.servers", config.kafka.bootstrap_servers) &&
       set("client.id", config.kafka.client_id + "-events-cli") &&
       set("group.id", fmt::format("{}-events-cli-{}", config.kafka.client_id, getpid())) &&
       set("enable.auto.commit", "false") && set("enable.partition.eof", "true") &&
       set("auto.offset.reset", "earliest") && set("allow.auto.create.topics", "false");
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  rd_kafka_conf_set_log_cb(conf, quiet_log);
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
  if (!raw) {
    rd_kafka_conf_destroy(conf);
    err << "kafka-sentinel events: " << error.data() << "\n";
    return 1;
  }
  const std::unique_ptr<rd_kafka_t, HandleDeleter> rk(raw);
  const int timeout_ms = static_cast<int>(config.kafka.request_timeout.count());

  std::vector<std::int32_t> partitions;
  {
    const std::unique_ptr<rd_kafka_topic_t, TopicDeleter> t(rd_kafka_topic_new(raw, topic.c_str(), nullptr));
    const rd_kafka_metadata_t* md_raw = nullptr;
    const auto e = rd_kafka_metadata(raw, 0, t.get(), &md_raw, timeout_ms);
    const std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> md(md_raw);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      err << "kafka-sentinel events: cannot reach Kafka at " << config.kafka.bootstrap_servers
          << ": " << rd_kafka_err2str(e) << "\n";
      return 1;
    }
    if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      err << "kafka-sentinel events: topic " << topic << ": "
          << rd_kafka_err2str(md->topic_cnt ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
          << " (no event published yet?)\n";
      return 1;
    }
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
      partitions.push_back(md->topics[0].partitions[i].id);
    }
  }
  const std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter> list(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const std::int32_t p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  if (const auto e = rd_kafka_assign(raw, list.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    err << "kafka-sentinel events: cannot read " << topic << ": " << rd_kafka_err2str(e) << "\n";
    return 1;
  }

  g_interrupted = false;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  const auto print = [&](const Read& r) {
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
  };

  // First what is there (sorted by event time across partitions), then, with --follow,
  // whatever comes.
  std::vector<Read> backlog;
  std::map<std::int32_t, bool> at_end;
  for (const std::int32_t p : partitions) at_end[p] = false;
  const auto deadline = Clock::now() + std::max<std::chrono::milliseconds>(30s, config.kafka.request_timeout * 3);
  bool caught_up = partitions.empty();
  while (!g_interrupted) {
    const std::unique_ptr<rd_kafka_message_t, MessageDeleter> m(rd_kafka_consumer_poll(raw, 200));
    if (!caught_up && Clock::now() > deadline) {
      err << "kafka-sentinel events: timed out reading " << topic << "\n";
      return 1;
    }
    if (m) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        at_end[m->partition] = true;
      } else if (m->err) {
        err << "kafka-sentinel events: " << rd_kafka_message_errstr(m.get()) << "\n";
      } else {
        Read r;
        r.partition = m->partition;
        r.offset = m->offset;
        if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
        r.event = parse_cloudevent(r.value).event;
        if (caught_up) {
          print(r);
        } else {
          backlog.push_back(std::move(r));
        }
      }
    }
    if (!caught_up && std::all_of(at_end.begin(), at_end.end(), [](const auto& kv) { return kv.second; })) {
      caught_up = true;
      const auto when = [](const Read& r) { return r.event ? r.event->time : HealthEvent::TimePoint{}; };
      std::stable_sort(backlog.begin(), backlog.end(),
                       [&when](const Read& a, const Read& b) { return when(a) < when(b); });
      for (const Read& r : backlog) print(r);
      backlog.clear();
      if (!options.follow) break;
    }
    if (caught_up && !options.follow) break;
  }
  if (!caught_up) {
    for (const Read& r : backlog) print(r);
  }
  rd_kafka_assign(raw, nullptr);
  return 0;
}

}  // namespace ks::events
