// What the benchmark programs of bench/ share: their command-line options (usage errors,
// --help), process figures (CPU time, RSS), and the Kafka setup and request counts of the
// cycle benchmarks. Header only: every .cpp of bench/ is a program of its own
// (bench/CMakeLists.txt), so this is included, never compiled alone.
#pragma once

#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "kafka/create_topic.hpp"
#include "kafka/client.hpp"
#include "kafka/metadata.hpp"

namespace ks::bench {

// Command-line options bound to variables: `--name VALUE` (a string or an int) and `--name`
// alone (a flag: true when present).
//   Options opts("prog --bootstrap HOST:PORT [--cycles N]");
//   opts.value("--bootstrap", a.bootstrap).value("--cycles", a.cycles).parse(argc, argv);
// --help (or -h) prints the usage line to stdout and exits 0. An unknown argument, a missing
// value, or a value that is not a whole number where one is expected prints "error: WHAT" and
// the usage line to stderr and exits 2 (fail() does the same for the program's own checks).
class Options {
 public:
  explicit Options(std::string usage) : usage_(std::move(usage)) {}

  Options& value(std::string_view flag, std::string& target) {
    options_.push_back({flag, true, [&target](const char* v) { target = v; }});
    return *this;
  }

  Options& value(std::string_view flag, int& target) {
    options_.push_back({flag, true, [this, flag, &target](const char* v) {
      char* end = nullptr;
      errno = 0;
      const long n = std::strtol(v, &end, 10);
      if (end == v || *end != '\0' || errno != 0 || n < std::numeric_limits<int>::min() ||
          n > std::numeric_limits<int>::max()) {
        fail(std::string(flag) + " takes a whole number, not \"" + v + "\"");
      }
      target = static_cast<int>(n);
    }});
    return *this;
  }

  Options& flag(std::string_view flag, bool& target) {
    options_.push_back({flag, false, [&target](const char*) { target = true; }});
    return *this;
  }

  void parse(int argc, char** argv) const {
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        std::printf("usage: %s\n", usage_.c_str());
        std::exit(0);
      }
      const auto option = std::find_if(options_.begin(), options_.end(),
                                        [arg](const Option& o) { return o.flag == arg; });
      if (option == options_.end()) fail("unknown argument " + std::string(arg));
      if (!option->takes_value) {
        option->set(nullptr);
      } else if (i + 1 >= argc) {
        fail("missing value");
      } else {
        option->set(argv[++i]);
      }
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    std::fprintf(stderr, "error: %s\nusage: %s\n", what.c_str(), usage_.c_str());
    std::exit(2);
  }

 private:
  struct Option {
    std::string_view flag;
    bool takes_value;
    std::function<void(const char*)> set;
  };
  std::string usage_;
  std::vector<Option> options_;
};

// CPU time of the whole process so far (user + system, every thread), in seconds.
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// A KiB figure of /proc/self/status ("VmRSS:", "VmHWM:"); -1 when it is not there.
inline long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field)) return std::strtol(line.c_str() + std::strlen(field), nullptr, 10);
  }
  return -1;
}

// The benchmarks' Kafka client settings.
inline ks::KafkaConfig kafka_config(const std::string& bootstrap) {
  ks::KafkaConfig kafka;
  kafka.bootstrap_servers = bootstrap;
  kafka.client_id = "kafka-sentinel-bench";
  kafka.request_timeout = std::chrono::seconds(30);
  return kafka;
}

struct TopicsCreated {
  int created = 0;
  int existed = 0;  // kept as they were
};

// Creates the topics `names`, `partitions` partitions each (kafka/create_topic.hpp, 100 per
// request; existing ones are kept). A failed request or any other per-topic error exits 1.
inline TopicsCreated create_topics(const ks::kafka::Client& admin,
                                   const std::vector<std::string>& names, int partitions,
                                   int replication_factor) {
  constexpr std::size_t kPerRequest = 100;
  TopicsCreated result;
  for (std::size_t begin = 0; begin < names.size(); begin += kPerRequest) {
    std::vector<ks::kafka::NewTopic> batch;
    for (std::size_t i = begin; i < std::min(names.size(), begin + kPerRequest); ++i) {
      batch.push_back({names[i], partitions, replication_factor, {}});
    }
    ks::kafka::CreateTopicsOptions options;
    options.request_timeout = std::chrono::minutes(2);
    options.deadline = std::chrono::steady_clock::now() + options.request_timeout;
    const ks::kafka::CreateTopicsResult answer = ks::kafka::create_topics(admin, batch, options);
    if (!answer.ok()) {
      std::fprintf(stderr, "CreateTopics failed: %s\n", answer.answered
                   ? ks::kafka::error_name(answer.error).c_str() : "no answer in time");
      std::exit(1);
    }
    for (const ks::kafka::TopicCreation& topic : answer.topics) {
      if (!topic.ok()) {
        std::fprintf(stderr, "cannot create %s: %s\n", topic.name.c_str(),
                     ks::kafka::error_name(topic.error).c_str());
        std::exit(1);
      }
      ++(topic.created() ? result.created : result.existed);
    }
  }
  return result;
}

// Waits until `count` topics whose names start with `prefix` have `partitions` partitions,
// each with a leader (metadata every 0.5 s); exits 1 after `max_attempts` looks.
inline void wait_for_leaders(const ks::kafka::Client& admin, std::string_view prefix, int count,
                             int partitions, int max_attempts) {
  for (int attempt = 0;; ++attempt) {
    const ks::kafka::ClusterMetadata md =
        ks::kafka::fetch_metadata(admin, std::chrono::seconds(30), {});
    int ready = 0;
    for (const ks::kafka::TopicMetadata& topic : md.topics) {
      if (!std::string_view(topic.name).starts_with(prefix)) continue;
      bool led = static_cast<int>(topic.partitions.size()) == partitions;
      for (const ks::kafka::PartitionMetadata& p : topic.partitions) led = led && p.leader >= 0;
      ready += led;
    }
    if (ready >= count) return;
    if (attempt > max_attempts) {
      std::fprintf(stderr, "only %d of %d topics ready\n", ready, count);
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// Requests sent so far by a handle with statistics on (statistics.interval.ms), by request
// type, and their "total" (the sum of brokers[].tx), from its latest statistics, once
// `fresh` statistics newer than now have come (at most 2 s of polling).
inline std::map<std::string, std::int64_t> requests_sent(const ks::kafka::Client& client,
                                                        int fresh) {
  const std::uint64_t wanted = client.context().stats_count() + static_cast<std::uint64_t>(fresh);
  for (int i = 0; i < 100 && client.context().stats_count() < wanted; ++i) {
    client.poll(std::chrono::milliseconds(20));
  }
  std::map<std::string, std::int64_t> out;
  const nlohmann::json stats = nlohmann::json::parse(client.context().latest_stats(), nullptr, false);
  if (stats.is_discarded() || !stats.contains("brokers")) return out;
  for (const auto& [name, broker] : stats["brokers"].items()) {
    out["total"] += broker.value("tx", std::int64_t{0});
    if (broker.contains("req")) {
      for (const auto& [type, n] : broker["req"].items()) out[type] += n.get<std::int64_t>();
    }
  }
  return out;
}

}  // namespace ks::bench
