// kafka-sentinel-loadgen: a small, bounded Kafka workload generator for `make demo` and the
// integration tests. One role per process (produce, consume, commit, create-topics); run
// several processes for several roles. Kafka through the agent's Kafka layer (kafka/).
//
// Conventions: progress and errors go to stderr (a status line every --status-interval
// seconds); the one final result line goes to stdout as key=value pairs. Exit codes: 0 ok,
// 1 the workload failed (undelivered messages, failed commit, Kafka error), 2 usage error,
// 3 a shutdown or --timeout bound was exceeded (the process exits anyway).
#include <fmt/core.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "kafka/admin_client.hpp"
#include "kafka/create_topic.hpp"
#include "kafka/errors.hpp"
#include "kafka/group_consumer.hpp"
#include "kafka/producer.hpp"
#include "kafka/property_check.hpp"
#include "kafka/topic_lookup.hpp"
#include "kafka/topic_partition.hpp"
#include "tools/commit_retry.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kHelp = R"(kafka-sentinel-loadgen: Kafka workload generator (demo and integration tests)

Usage:
  kafka-sentinel-loadgen produce --bootstrap B --topics T1[,T2...] [--rate N] [--duration S]
                                 [--count N] [--size BYTES] [--key-space K]
  kafka-sentinel-loadgen consume --bootstrap B --group G --topics T1[,T2...] [--rate N]
                                 [--lag-seconds S] [--duration S] [--count N]
                                 [--commit-interval-ms M] [--from earliest|latest]
  kafka-sentinel-loadgen commit --bootstrap B --group G --topic T --offsets P:O[,P:O...]
                                [--timeout S]
  kafka-sentinel-loadgen create-topics --bootstrap B --topics NAME[:PARTITIONS[:RF]][,...]
                                       [--config K=V[,K=V...]] [--timeout S]
  kafka-sentinel-loadgen --help

One role per process: start several processes for several roles (e.g. a producer and two
consumer groups). Every run is bounded: SIGINT/SIGTERM stop it cleanly (producer: flush up
to 5 s; consumer: final commit of what was processed, leave the group); a second signal
exits at once. (A signal ignored at startup stays ignored, as in shells' background jobs.)
Options take a value as `--opt V` or `--opt=V`.

produce    Idempotent producer (enable.idempotence=true, acks=all). Messages go round-robin
           over the topics, paced by a token bucket to a steady --rate N msgs/s in total
           (default 100; 0 = as fast as possible; bursts are capped at 200 ms of tokens, so a
           stall lowers the rate instead of causing a catch-up burst). Stops after
           --duration S seconds and/or --count N messages (default: until signalled), then
           flushes (up to 30 s). Value: --size BYTES (default 100). Key: "key-<i mod K>" with
           --key-space K (default 1000; 0 = no key).
           Final stdout line: produce: produced=N delivered=D failed=F elapsed_s=T rate=R
           Exit 0 only if every produced message was delivered.
consume    A real group consumer (subscribe; eager or cooperative rebalances). Auto-commit is
           off: it stores the offset of each message after "processing" it and commits the
           stored offsets every --commit-interval-ms M (default 1000), on revocation, and at
           exit -- so the committed offset never passes what was processed.
           --rate N            process at most N msgs/s (a consumer that falls behind).
           --lag-seconds S     process a message only once its timestamp is S seconds old:
                               the committed offset trails the log end by S seconds of
                               produce time (plus up to one commit interval). Waiting
                               messages are held in memory (offset+timestamp only); a
                               partition is paused when 20000 are held, and resumed later.
           --from earliest|latest  where a group without committed offsets starts (earliest).
           --duration S / --count N  stop after S seconds / N processed messages.
           Final stdout line: consume: consumed=N processed=P committed=C elapsed_s=T
commit     Commits exact offsets for group G on topic T, e.g. --offsets 0:5,1:7 (partition:
           next offset to consume), synchronously, then reads them back. The group must have
           no active members (Kafka rejects commits from non-members of an active group).
create-topics  CreateTopics through the Admin API, e.g. --topics orders:6:1,audit:1:1
           (partitions and replication factor default to the broker's defaults). Idempotent:
           an existing topic is fine (a differing partition count is reported as a warning).
           Waits until every partition of every topic has a leader.

Common options:
  --bootstrap B             bootstrap servers, comma separated (alias: --bootstrap-servers)
  --property K=V            extra librdkafka property (repeatable; applied last)
  --client-id ID            client.id (default kafka-sentinel-loadgen-<role>)
  --status-interval S       seconds between status lines on stderr (default 5; 0 = none)
  --timeout S               commit / create-topics: give up after S seconds (default 30)

Exit codes: 0 ok; 1 the workload failed; 2 usage error; 3 a time bound was exceeded.
)";

// ----------------------------------------------------------------------------- logging

std::string g_role = "loadgen";

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}", buf, ms);
}

template <class... Args>
void log(fmt::format_string<Args...> f, Args&&... args) {
  const std::string line = fmt::format("{} loadgen[{}] {}\n", timestamp(), g_role,
                                       fmt::format(f, std::forward<Args>(args)...));
  std::fputs(line.c_str(), stderr);
}

// Prints the same (key) message at most once per 5 s; counts what it swallowed.
class RateLimitedLog {
 public:
  void operator()(const std::string& key, const std::string& msg) {
    std::lock_guard lock(mu_);
    auto& e = entries_[key];
    const auto now = Clock::now();
    if (e.last != Clock::time_point{} && now - e.last < 5s) {
      ++e.suppressed;
      return;
    }
    if (e.suppressed > 0) {
      log("{} (repeated {} more times)", msg, e.suppressed);
    } else {
      log("{}", msg);
    }
    e.last = now;
    e.suppressed = 0;
  }

 private:
  struct Entry {
    Clock::time_point last{};
    std::uint64_t suppressed = 0;
  };
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};
RateLimitedLog g_ratelog;

// ----------------------------------------------------------------------------- signals

std::atomic<int> g_signals{0};
std::atomic<bool> g_fatal{false};

extern "C" void on_signal(int sig) {
  if (g_signals.fetch_add(1) >= 1) {
    const char msg[] = "loadgen: second signal, exiting immediately\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    std::_Exit(128 + sig);
  }
}

// A signal ignored at startup stays ignored (like the JVM and most daemons do): a background
// job of a non-interactive shell (e.g. started by scripts/demo.sh) ignores SIGINT, so a
// terminal Ctrl-C reaches its parent script, which stops everything in order with SIGTERM.
void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  for (int sig : {SIGINT, SIGTERM}) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(sig, &sa, nullptr);
  }
}

bool signalled() { return g_signals.load() > 0; }

// Exits the process if a phase (shutdown, a --timeout bound) does not end in time.
class Watchdog {
 public:
  Watchdog() : thread_([this] { run(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void arm(std::chrono::seconds within, std::string what) {
    {
      std::lock_guard lock(mu_);
      deadline_ = Clock::now() + within;
      what_ = std::move(what);
      armed_ = true;
    }
    cv_.notify_all();
  }
  void disarm() {
    std::lock_guard lock(mu_);
    armed_ = false;
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (!quit_) {
      if (!armed_) {
        cv_.wait(lock);
        continue;
      }
      if (cv_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ && !quit_ &&
          Clock::now() >= deadline_) {
        log("ERROR: {} did not finish in time; exiting (exit code 3)", what_);
        std::fflush(stdout);
        std::fflush(stderr);
        std::_Exit(3);
      }
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  bool armed_ = false;
  Clock::time_point deadline_{};
  std::string what_;
  std::thread thread_;
};

// ----------------------------------------------------------------------------- arguments

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto pos = s.find(sep, start);
    const auto end = pos == std::string_view::npos ? s.size() : pos;
    std::string part(s.substr(start, end - start));
    if (!part.empty()) out.push_back(std::move(part));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

class Args {
 public:
  Args(const std::vector<std::string>& argv, const std::set<std::string>& allowed) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
      std::string a = argv[i];
      if (a == "-h" || a == "--help") {
        help = true;
        continue;
      }
      if (!a.starts_with("--")) throw UsageError(fmt::format("unexpected argument '{}'", a));
      std::string name, value;
      if (const auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(2, eq - 2);
        value = a.substr(eq + 1);
      } else {
        name = a.substr(2);
        if (i + 1 >= argv.size()) throw UsageError(fmt::format("--{} needs a value", name));
        value = argv[++i];
      }
      if (name == "bootstrap-servers") name = "bootstrap";
      if (!allowed.contains(name)) throw UsageError(fmt::format("unknown option --{}", name));
      values_[name].push_back(value);
    }
  }

  bool help = false;

  bool has(const std::string& name) const { return values_.contains(name); }

  std::string str(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) throw UsageError(fmt::format("--{} is required", name));
    return it->second.back();
  }
  std::string str(const std::string& name, std::string def) const {
    return has(name) ? str(name) : std::move(def);
  }
  std::vector<std::string> all(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
  }
  double number(const std::string& name, double def, double min, double max) const {
    if (!has(name)) return def;
    const std::string v = str(name);
    double out = 0;
    const auto res = std::from_chars(v.data(), v.data() + v.size(), out);
    if (res.ec != std::errc() || res.ptr != v.data() + v.size())
      throw UsageError(fmt::format("--{}: expected a number, got '{}'", name, v));
    if (out < min || out > max)
      throw UsageError(fmt::format("--{}: {} is out of range [{}, {}]", name, v, min, max));
    return out;
  }
  std::int64_t integer(const std::string& name, std::int64_t def, std::int64_t min, std::int64_t max) const {
    if (!has(name)) return def;
    const std::string v = str(name);
    std::int64_t out = 0;
    const auto res = std::from_chars(v.data(), v.data() + v.size(), out);
    if (res.ec != std::errc() || res.ptr != v.data() + v.size())
      throw UsageError(fmt::format("--{}: expected an integer, got '{}'", name, v));
    if (out < min || out > max)
      throw UsageError(fmt::format("--{}: {} is out of range [{}, {}]", name, v, min, max));
    return out;
  }

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

std::int64_t parse_int(const std::string& s, const std::string& what) {
  std::int64_t out = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || res.ec != std::errc() || res.ptr != s.data() + s.size())
    throw UsageError(fmt::format("{}: expected an integer, got '{}'", what, s));
  return out;
}

const std::set<std::string> kCommonOptions = {"bootstrap", "property", "client-id", "status-interval"};

std::set<std::string> options(std::initializer_list<std::string> extra) {
  std::set<std::string> s = kCommonOptions;
  s.insert(extra.begin(), extra.end());
  return s;
}

// ----------------------------------------------------------------------------- Kafka clients

using ks::kafka::ErrorCode;
using ks::kafka::TopicPartition;

// Kafka clients are made by the agent's Kafka layer (its defaults, e.g. socket keepalive,
// apply here too). --bootstrap and --client-id are the client's config; `role` properties,
// then every --property (applied last: it wins), go on top.
ks::KafkaConfig kafka_config(const Args& a, const std::string& role) {
  ks::KafkaConfig config;
  config.bootstrap_servers = a.str("bootstrap");
  config.client_id = a.str("client-id", "kafka-sentinel-loadgen-" + role);
  config.statistics_interval = {};  // the workload reports no client statistics
  return config;
}

std::map<std::string, std::string> client_properties(const Args& a,
                                                     std::map<std::string, std::string> role) {
  for (const auto& p : a.all("property")) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError(fmt::format("--property needs KEY=VALUE, got '{}'", p));
    role[p.substr(0, eq)] = p.substr(eq + 1);
  }
  // A refused property is a usage error, told before any client exists.
  ks::kafka::PropertyCheck check;
  for (const auto& [key, value] : role) {
    if (const std::string problem = check.set(key, value); !problem.empty())
      throw UsageError(fmt::format("librdkafka property {}={}: {}", key, value, problem));
  }
  return role;
}

// librdkafka's own lines (through the Kafka layer's spdlog logging) go to stderr like ours:
// stdout carries only the final result line.
void route_library_logs() {
  auto logger = spdlog::stderr_logger_mt("loadgen");
  logger->set_pattern(fmt::format("%H:%M:%S.%e loadgen[{}] %v", g_role));
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

// Sets g_fatal (once) when a client reports a fatal error.
void note_fatal(const std::optional<std::string>& fatal) {
  if (!fatal || g_fatal.exchange(true)) return;
  log("FATAL Kafka client error: {}", *fatal);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Token bucket: `rate` tokens per second, at most `burst` banked.
class TokenBucket {
 public:
  explicit TokenBucket(double rate) : rate_(rate), burst_(std::max(1.0, rate / 5.0)), last_(Clock::now()) {}
  bool unlimited() const { return rate_ <= 0; }
  void refill() {
    const auto now = Clock::now();
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
    last_ = now;
  }
  bool take() {
    if (unlimited()) return true;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }
  bool available() const { return unlimited() || tokens_ >= 1.0; }
  // Time until one token is available.
  std::chrono::microseconds wait() const {
    if (available()) return 0us;
    return std::chrono::microseconds(static_cast<std::int64_t>((1.0 - tokens_) / rate_ * 1e6) + 1);
  }

 private:
  double rate_;
  double burst_;
  double tokens_ = 0;
  Clock::time_point last_;
};

class StatusTimer {
 public:
  explicit StatusTimer(double interval_s)
      : interval_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_s))),
        next_(Clock::now() + interval_) {}
  bool due() {
    if (interval_ <= Clock::duration::zero()) return false;
    const auto now = Clock::now();
    if (now < next_) return false;
    while (next_ <= now) next_ += interval_;
    return true;
  }

 private:
  Clock::duration interval_;
  Clock::time_point next_;
};

// ----------------------------------------------------------------------------- produce

class ProduceRun {
 public:
  ProduceRun(const Args& a) : args_(a) {
    topics_ = split(a.str("topics"), ',');
    if (topics_.empty()) throw UsageError("--topics needs at least one topic");
    rate_ = a.number("rate", 100, 0, 1e7);
    duration_ = a.number("duration", 0, 0, 1e9);
    count_ = a.integer("count", 0, 0, INT64_MAX);
    size_ = a.integer("size", 100, 0, 100 * 1024 * 1024);
    key_space_ = a.integer("key-space", 1000, 0, INT64_MAX);
    status_interval_ = a.number("status-interval", 5, 0, 1e6);
  }

  int run(Watchdog& watchdog) {
    ks::kafka::ProducerSettings settings;
    settings.name = "producer";
    settings.properties = client_properties(args_, {{"enable.idempotence", "true"},
                                                    {"acks", "all"},
                                                    {"linger.ms", "5"},
                                                    {"message.timeout.ms", "60000"}});
    settings.on_delivery = [this](const ks::kafka::Delivery& d) { on_delivery(d); };
    producer_ = std::make_unique<ks::kafka::Producer>(kafka_config(args_, "producer"), std::move(settings));
    log("producing to {} at {} msgs/s{}{}, {} B values, key space {} (bootstrap {})", args_.str("topics"),
        rate_ > 0 ? fmt::format("{:g}", rate_) : "max", duration_ > 0 ? fmt::format(" for {:g} s", duration_) : "",
        count_ > 0 ? fmt::format(" up to {} messages", count_) : "", size_, key_space_, args_.str("bootstrap"));
    value_.assign(static_cast<std::size_t>(size_), 'x');
    start_ = last_status_ = Clock::now();
    const std::string stop_reason = produce_until_stopped();
    return finish(stop_reason, watchdog);
  }

 private:
  void on_delivery(const ks::kafka::Delivery& d) {
    if (d.delivered()) {
      ++delivered_;
      return;
    }
    ++failed_;
    g_ratelog(fmt::format("dr{}", ks::kafka::raw(d.error)),
              fmt::format("delivery to {} [{}] failed: {}", d.topic, d.partition, ks::kafka::error_name(d.error)));
  }

  // Returns why it stopped.
  std::string produce_until_stopped() {
    const auto end = duration_ > 0 ? start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_))
                                   : Clock::time_point::max();
    TokenBucket bucket(rate_);
    StatusTimer status(status_interval_);
    for (;;) {
      if (signalled()) return "signal";
      note_fatal(producer_->fatal_error());
      if (g_fatal) return "fatal error";
      if (Clock::now() >= end) return "duration reached";
      if (count_ > 0 && produced_ >= static_cast<std::uint64_t>(count_)) return "count reached";
      bucket.refill();
      const bool queue_full = produce_batch(bucket);
      if (status.due()) status_line();
      if (queue_full) {
        producer_->poll(10ms);
        continue;
      }
      producer_->poll(0ms);
      auto wait = std::min<std::chrono::microseconds>(bucket.wait(), 100ms);
      if (end != Clock::time_point::max())
        wait = std::min(wait, std::chrono::duration_cast<std::chrono::microseconds>(std::max(end - Clock::now(), Clock::duration::zero())));
      if (wait > 0us) std::this_thread::sleep_for(wait);
    }
  }

  // Produces what the bucket allows (at most 10000); true when the queue is full.
  bool produce_batch(TokenBucket& bucket) {
    int batch = 0;
    while (batch < 10000 && (count_ == 0 || produced_ < static_cast<std::uint64_t>(count_)) && bucket.available()) {
      const std::uint64_t i = produced_ + produce_errors_;
      const std::string header = fmt::format("seq={} ts={} ", i, now_ms());
      std::memcpy(value_.data(), header.data(), std::min(header.size(), value_.size()));
      const std::string key = key_space_ > 0 ? fmt::format("key-{}", i % static_cast<std::uint64_t>(key_space_)) : "";
      const std::string& topic = topics_[i % topics_.size()];
      ks::kafka::OutgoingMessage message{topic, std::nullopt, value_, {}};
      if (key_space_ > 0) message.key = key;
      const ErrorCode err = producer_->produce(message);
      if (err == ErrorCode::local_queue_full) return true;
      if (ks::kafka::failed(err)) {
        ++produce_errors_;
        g_ratelog(fmt::format("produce{}", ks::kafka::raw(err)),
                  fmt::format("produce to {} failed: {}", topic, ks::kafka::error_name(err)));
        if (err == ErrorCode::local_fatal) g_fatal = true;
        return false;
      }
      bucket.take();
      ++produced_;
      ++batch;
    }
    return false;
  }

  void status_line() {
    const double dt = seconds_since(last_status_);
    log("status: produced={} delivered={} failed={} queued={} rate={:.1f}/s", produced_, delivered_,
        failed_ + produce_errors_, producer_->queue_length(),
        dt > 0 ? static_cast<double>(produced_ - last_status_produced_) / dt : 0.0);
    last_status_ = Clock::now();
    last_status_produced_ = produced_;
  }

  int finish(const std::string& stop_reason, Watchdog& watchdog) {
    const double elapsed = seconds_since(start_);
    const bool by_signal = stop_reason == "signal";
    const auto flush_timeout = by_signal ? 5s : 30s;
    watchdog.arm(flush_timeout + 10s, "producer shutdown");
    log("stopping ({}): flushing {} queued message(s) (up to {} s)", stop_reason, producer_->queue_length(),
        flush_timeout.count());
    if (ks::kafka::failed(producer_->flush(flush_timeout))) {
      log("ERROR: flush timed out with {} message(s) undelivered; purging them", producer_->queue_length());
      producer_->purge();
      producer_->flush(2s);
    }
    status_line();
    producer_.reset();
    watchdog.disarm();

    const std::uint64_t failed = failed_ + produce_errors_;
    fmt::print("produce: produced={} delivered={} failed={} elapsed_s={:.2f} rate={:.1f}\n", produced_, delivered_,
               failed, elapsed, elapsed > 0 ? static_cast<double>(delivered_) / elapsed : 0.0);
    std::fflush(stdout);
    const bool ok = failed == 0 && delivered_ == produced_ && !g_fatal;
    if (!ok) log("ERROR: {} of {} message(s) were not delivered", produced_ + produce_errors_ - delivered_, produced_ + produce_errors_);
    return ok ? 0 : 1;
  }

  const Args& args_;
  std::vector<std::string> topics_;
  double rate_ = 100, duration_ = 0, status_interval_ = 5;
  std::int64_t count_ = 0, size_ = 100, key_space_ = 1000;
  std::unique_ptr<ks::kafka::Producer> producer_;
  std::string value_;
  Clock::time_point start_, last_status_;
  std::uint64_t produced_ = 0, produce_errors_ = 0, last_status_produced_ = 0;
  std::uint64_t delivered_ = 0, failed_ = 0;
};

// ----------------------------------------------------------------------------- consume

class Consumer {
 public:
  struct Key {
    std::string topic;
    std::int32_t partition;
    auto operator<=>(const Key&) const = default;
  };
  struct Held {
    std::int64_t offset;
    std::int64_t ts_ms;
  };
  struct Part {
    std::deque<Held> held;
    std::int64_t next_offset = -1;  // the offset after the last one received (duplicate guard)
    bool paused = false;
  };
  static constexpr std::size_t kMaxHeld = 20000;

  Consumer(const Args& a) : args_(a) {
    topics_ = split(a.str("topics"), ',');
    if (topics_.empty()) throw UsageError("--topics needs at least one topic");
    group_ = a.str("group");
    rate_ = a.number("rate", 0, 0, 1e7);
    lag_ms_ = static_cast<std::int64_t>(a.number("lag-seconds", 0, 0, 365.0 * 86400) * 1000.0);
    duration_ = a.number("duration", 0, 0, 1e9);
    count_ = a.integer("count", 0, 0, INT64_MAX);
    commit_interval_ = std::chrono::milliseconds(a.integer("commit-interval-ms", 1000, 10, 3600 * 1000));
    status_interval_ = a.number("status-interval", 5, 0, 1e6);
    from_ = a.str("from", "earliest");
    if (from_ != "earliest" && from_ != "latest") throw UsageError("--from must be earliest or latest");
  }

  int run(Watchdog& watchdog) {
    connect();
    log("group {} consuming {}{}{}{}, committing every {} ms (bootstrap {})", group_, args_.str("topics"),
        rate_ > 0 ? fmt::format(", at most {:g} msgs/s", rate_) : "",
        lag_ms_ > 0 ? fmt::format(", {:g} s behind", static_cast<double>(lag_ms_) / 1000.0) : "",
        duration_ > 0 ? fmt::format(", for {:g} s", duration_) : "", commit_interval_.count(), args_.str("bootstrap"));
    const auto start = Clock::now();
    const std::string stop_reason = consume_until_stopped(start);
    leave(stop_reason, watchdog);
    if (!ever_assigned_)
      log("WARNING: no partition was ever assigned to this consumer (is Kafka reachable at {}? do the topics exist?)",
          args_.str("bootstrap"));
    const double elapsed = seconds_since(start);
    fmt::print("consume: consumed={} processed={} committed={} elapsed_s={:.2f}\n", consumed_, processed_, committed_,
               elapsed);
    std::fflush(stdout);
    const bool ok = !g_fatal && !commit_failed_;
    return ok ? 0 : 1;
  }

 private:
  void connect() {
    ks::kafka::GroupConsumerSettings settings;
    settings.name = "consumer";
    settings.properties = client_properties(args_, {{"group.id", group_},
                                                    {"enable.auto.commit", "false"},
                                                    {"enable.auto.offset.store", "false"},
                                                    {"auto.offset.reset", from_}});
    settings.on_rebalance = [this](const ks::kafka::Rebalance& r) { on_rebalance(r); };
    consumer_ = std::make_unique<ks::kafka::GroupConsumer>(kafka_config(args_, "consumer"), std::move(settings));
    try {
      consumer_->subscribe(topics_);
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("subscribe to {}: {}", args_.str("topics"), e.what()));
    }
  }

  // Returns why it stopped.
  std::string consume_until_stopped(Clock::time_point start) {
    const auto end = duration_ > 0 ? start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_))
                                   : Clock::time_point::max();
    TokenBucket bucket(rate_);
    StatusTimer status(status_interval_);
    auto next_commit = Clock::now() + commit_interval_;
    for (;;) {
      if (signalled()) return "signal";
      note_fatal(consumer_->fatal_error());
      if (g_fatal) return "fatal error";
      if (Clock::now() >= end) return "duration reached";
      if (count_ > 0 && processed_ >= static_cast<std::uint64_t>(count_)) return "count reached";
      bucket.refill();
      receive(poll_timeout(bucket));
      bucket.refill();
      process_eligible(bucket);
      flow_control();
      if (Clock::now() >= next_commit) {
        commit_async();
        next_commit = Clock::now() + commit_interval_;
      }
      serve_commit_results();
      if (status.due()) status_line();
    }
  }

  // Short when there is work we may do now, else up to 100 ms.
  std::chrono::milliseconds poll_timeout(const TokenBucket& bucket) const {
    int timeout_ms = 100;
    if (auto due = next_due_ms()) {
      const auto now = now_ms();
      timeout_ms = static_cast<int>(std::clamp<std::int64_t>(*due - now, 0, 100));
      if (!bucket.available())  // rate-limited: wait for the next token (at least 1 ms)
        timeout_ms = std::max(timeout_ms, static_cast<int>(std::min<std::int64_t>(100, bucket.wait().count() / 1000 + 1)));
    }
    return std::chrono::milliseconds(timeout_ms);
  }

  // One poll, then what is already fetched without waiting.
  void receive(std::chrono::milliseconds timeout) {
    auto m = consumer_->poll(timeout);
    for (int i = 0; m && i <= 1000; ++i) {
      on_message(*m);
      if (i < 1000) m = consumer_->poll(0ms);
    }
  }

  void leave(const std::string& stop_reason, Watchdog& watchdog) {
    watchdog.arm(20s, "consumer shutdown");
    log("stopping ({}): final commit and leaving group {}", stop_reason, group_);
    closing_ = true;
    commit_sync("final");
    serve_commit_results();
    if (const auto err = consumer_->close(); ks::kafka::failed(err))
      log("ERROR: closing the consumer: {}", ks::kafka::error_name(err));
    serve_commit_results();
    status_line();
    consumer_.reset();
    watchdog.disarm();
  }

  // Called before the consumer applies the change (kafka/group_consumer.hpp).
  void on_rebalance(const ks::kafka::Rebalance& r) {
    if (r.kind == ks::kafka::Rebalance::Kind::assigned) {
      log("assigned: {}", ks::kafka::describe(r.partitions));
      ever_assigned_ = ever_assigned_ || !r.partitions.empty();
      for (const auto& p : r.partitions) parts_[Key{p.topic, p.partition}] = Part{};
      return;
    }
    if (r.kind == ks::kafka::Rebalance::Kind::revoked) {
      log("revoked{}: {}", r.lost ? " (assignment lost)" : "", ks::kafka::describe(r.partitions));
      // Commit what was processed before handing the partitions over (not when lost: the
      // group has moved on and the commit would be rejected).
      if (!r.lost) commit_sync("rebalance");
      std::vector<TopicPartition> to_resume;
      for (const auto& p : r.partitions) {
        auto it = parts_.find(Key{p.topic, p.partition});
        if (it == parts_.end()) continue;
        if (it->second.paused) to_resume.push_back(ks::kafka::at_offset(p.topic, p.partition, ks::kafka::kInvalidOffset));
        parts_.erase(it);  // held (unprocessed) messages are left to the next owner
      }
      if (!to_resume.empty()) consumer_->resume(to_resume);
      return;
    }
    log("ERROR: rebalance: {}", ks::kafka::error_name(r.error));
    parts_.clear();
  }

  void on_message(const ks::kafka::ConsumedMessage& m) {
    if (ks::kafka::failed(m.error)) {
      if (m.error == ErrorCode::local_partition_eof) return;
      const std::string where = !m.topic.empty() ? fmt::format("{} [{}]", m.topic, m.partition) : std::string("consumer");
      g_ratelog(fmt::format("consume{}{}", ks::kafka::raw(m.error), where),
                fmt::format("consume error on {}: {}", where, m.error_text));
      if (m.error == ErrorCode::local_fatal) g_fatal = true;
      return;
    }
    auto& p = parts_[Key{m.topic, m.partition}];
    if (p.next_offset >= 0 && m.offset < p.next_offset) {  // already received (refetch)
      ++duplicates_;
      return;
    }
    p.next_offset = m.offset + 1;
    ++consumed_;
    p.held.push_back(Held{m.offset, m.timestamp_ms < 0 ? now_ms() : m.timestamp_ms});
  }

  // Earliest wall-clock ms at which a held message may be processed (nullopt: none held).
  std::optional<std::int64_t> next_due_ms() const {
    std::optional<std::int64_t> due;
    for (const auto& [k, p] : parts_) {
      if (p.held.empty()) continue;
      const std::int64_t d = p.held.front().ts_ms + lag_ms_;
      if (!due || d < *due) due = d;
    }
    return due;
  }

  // Processes eligible messages round-robin over partitions, within the rate limit, and
  // stores the next offset of each partition for the next commit.
  void process_eligible(TokenBucket& bucket) {
    const std::int64_t now = now_ms();
    std::map<Key, std::int64_t> store;
    bool progress = true;
    while (progress && bucket.available()) {
      progress = false;
      for (auto& [k, p] : parts_) {
        if (p.held.empty() || p.held.front().ts_ms + lag_ms_ > now) continue;
        if (count_ > 0 && processed_ >= static_cast<std::uint64_t>(count_)) break;
        if (!bucket.take()) break;
        store[k] = p.held.front().offset + 1;
        p.held.pop_front();
        ++processed_;
        progress = true;
      }
      if (count_ > 0 && processed_ >= static_cast<std::uint64_t>(count_)) break;
    }
    if (store.empty()) return;
    std::vector<TopicPartition> list;
    for (const auto& [k, off] : store) list.push_back(ks::kafka::at_offset(k.topic, k.partition, off));
    if (const auto err = consumer_->store_offsets(list); ks::kafka::failed(err)) {
      g_ratelog("store", fmt::format("storing offsets {}: {}", ks::kafka::describe(list, true), ks::kafka::error_name(err)));
    }
  }

  // Bounds memory: pause partitions with many held messages, resume them once drained.
  // (librdkafka resumes a paused partition after the last message it handed to us.)
  void flow_control() {
    std::vector<TopicPartition> pause, resume;
    for (auto& [k, p] : parts_) {
      if (!p.paused && p.held.size() >= kMaxHeld) {
        pause.push_back(ks::kafka::at_offset(k.topic, k.partition, ks::kafka::kInvalidOffset));
        p.paused = true;
      } else if (p.paused && p.held.size() <= kMaxHeld / 2) {
        resume.push_back(ks::kafka::at_offset(k.topic, k.partition, ks::kafka::kInvalidOffset));
        p.paused = false;
      }
    }
    if (!pause.empty()) {
      if (const auto err = consumer_->pause(pause); ks::kafka::failed(err))
        log("ERROR: pause {}: {}", ks::kafka::describe(pause), ks::kafka::error_name(err));
    }
    if (!resume.empty()) {
      if (const auto err = consumer_->resume(resume); ks::kafka::failed(err))
        log("ERROR: resume {}: {}", ks::kafka::describe(resume), ks::kafka::error_name(err));
    }
  }

  void commit_async() {
    if (processed_ == commit_requested_) return;  // nothing new processed
    commit_requested_ = processed_;
    const auto err = consumer_->commit_async(std::nullopt, processed_);
    if (ks::kafka::failed(err) && err != ErrorCode::local_no_offset)
      g_ratelog("commit", fmt::format("commit request failed: {}", ks::kafka::error_name(err)));
  }

  void commit_sync(const char* why) {
    const std::uint64_t snapshot = processed_;
    // The coordinator may be moving (a node was just stopped): retried, bounded, so the final
    // and the rebalance commits are not lost.
    const auto err = ks::loadgen::commit_with_retry(
        [&] { return consumer_->commit_sync(std::nullopt).error; }, ks::loadgen::CommitRetryPolicy{},
        [&](ErrorCode e, int attempt, std::chrono::milliseconds backoff) {
          log("{} commit of group {} failed ({}, attempt {}): coordinator moving, retrying in {} ms", why,
              group_, ks::kafka::error_name(e), attempt, backoff.count());
        });
    if (!ks::kafka::failed(err) || err == ErrorCode::local_no_offset) {
      committed_ = std::max<std::uint64_t>(committed_, snapshot);
      commit_requested_ = std::max(commit_requested_, snapshot);
      return;
    }
    log("ERROR: {} commit of group {} failed: {}", why, group_, ks::kafka::error_name(err));
    if (closing_) commit_failed_ = true;
  }

  void serve_commit_results() {
    for (const ks::kafka::CommitResult& result : consumer_->commit_results()) {
      bool partition_error = false;
      for (const TopicPartition& p : result.partitions) {
        if (!ks::kafka::failed(p.error)) continue;
        partition_error = true;
        g_ratelog("commitp", fmt::format("commit of {} [{}] failed: {}", p.topic, p.partition,
                                         ks::kafka::error_name(p.error)));
      }
      if (!ks::kafka::failed(result.error) && !partition_error) {
        committed_ = std::max(committed_, result.tag);
        continue;
      }
      if (ks::kafka::failed(result.error) && result.error != ErrorCode::local_no_offset) {
        g_ratelog("commit", fmt::format("commit of group {} failed: {}", group_, ks::kafka::error_name(result.error)));
      }
      // Not committed (e.g. the coordinator moved): the next commit interval commits the
      // stored offsets again even if nothing new was processed meanwhile.
      commit_requested_ = std::min(commit_requested_, committed_);
    }
  }

  void status_line() {
    std::size_t held = 0, paused = 0;
    for (const auto& [k, p] : parts_) {
      held += p.held.size();
      paused += p.paused ? 1 : 0;
    }
    log("status: group={} consumed={} processed={} committed={} held={} assigned={} paused={}{}", group_, consumed_,
        processed_, committed_, held, parts_.size(), paused,
        duplicates_ ? fmt::format(" refetched={}", duplicates_) : std::string());
  }

  const Args& args_;
  std::vector<std::string> topics_;
  std::string group_;
  std::string from_;
  double rate_ = 0;
  std::int64_t lag_ms_ = 0;
  double duration_ = 0;
  std::int64_t count_ = 0;
  std::chrono::milliseconds commit_interval_{1000};
  double status_interval_ = 5;

  std::unique_ptr<ks::kafka::GroupConsumer> consumer_;
  std::map<Key, Part> parts_;
  std::uint64_t consumed_ = 0;
  std::uint64_t duplicates_ = 0;  // messages received again (skipped)
  std::uint64_t processed_ = 0;
  std::uint64_t committed_ = 0;         // processed messages whose offsets are committed
  std::uint64_t commit_requested_ = 0;  // processed_ at the last commit request
  bool closing_ = false;
  bool ever_assigned_ = false;
  bool commit_failed_ = false;
};

// ----------------------------------------------------------------------------- commit

std::vector<TopicPartition> parse_offsets(const std::string& topic, const std::string& spec) {
  std::vector<TopicPartition> offsets;
  for (const auto& item : split(spec, ',')) {
    const auto colon = item.find(':');
    if (colon == std::string::npos) throw UsageError(fmt::format("--offsets: expected PARTITION:OFFSET, got '{}'", item));
    const auto p = parse_int(item.substr(0, colon), "--offsets partition");
    const auto o = parse_int(item.substr(colon + 1), "--offsets offset");
    if (p < 0 || p > INT32_MAX || o < 0) throw UsageError(fmt::format("--offsets: invalid '{}'", item));
    offsets.push_back(ks::kafka::at_offset(topic, static_cast<std::int32_t>(p), o));
  }
  if (offsets.empty()) throw UsageError("--offsets needs at least one PARTITION:OFFSET");
  return offsets;
}

// Commits `offsets` (retried while the coordinator moves); 0 when done, else 1 (logged).
int commit_offsets(ks::kafka::GroupConsumer& consumer, const std::string& group,
                   const std::vector<TopicPartition>& offsets) {
  ks::kafka::CommitResult result;
  ks::loadgen::commit_with_retry(
      [&] {
        result = consumer.commit_sync(offsets);
        return result.outcome();
      },
      ks::loadgen::CommitRetryPolicy{},
      [&](ErrorCode e, int attempt, std::chrono::milliseconds backoff) {
        log("commit of group {} failed ({}, attempt {}): coordinator moving, retrying in {} ms", group,
            ks::kafka::error_name(e), attempt, backoff.count());
      });
  if (!ks::kafka::failed(result.outcome())) return 0;
  log("ERROR: committing {} for group {} failed: {}", ks::kafka::describe(offsets, true), group,
      ks::kafka::error_name(result.error));
  for (const TopicPartition& p : result.partitions) {
    if (ks::kafka::failed(p.error)) log("ERROR:   {} [{}]: {}", p.topic, p.partition, ks::kafka::error_name(p.error));
  }
  if (result.error == ErrorCode::unknown_member_id || result.error == ErrorCode::illegal_generation)
    log("ERROR:   (group {} probably has active members; stop its consumers first)", group);
  return 1;
}

// Reads the committed offsets back; 0 when they are `expected`, else 1 (logged).
int check_committed(ks::kafka::GroupConsumer& consumer, const std::string& group,
                    const std::vector<TopicPartition>& expected, int timeout_s) {
  std::vector<TopicPartition> check;
  for (const TopicPartition& p : expected) check.push_back(ks::kafka::at_offset(p.topic, p.partition, ks::kafka::kInvalidOffset));
  const auto err = ks::loadgen::commit_with_retry(
      [&] { return consumer.committed(check, std::chrono::milliseconds(std::max(1000, (timeout_s - 1) * 1000))); },
      ks::loadgen::CommitRetryPolicy{}, [](ErrorCode, int, std::chrono::milliseconds) {});
  if (ks::kafka::failed(err)) {
    log("ERROR: reading back committed offsets of group {}: {}", group, ks::kafka::error_name(err));
    return 1;
  }
  int rc = 0;
  for (std::size_t i = 0; i < check.size(); ++i) {
    const TopicPartition& e = check[i];
    if (ks::kafka::failed(e.error) || e.offset != expected[i].offset) {
      log("ERROR: {} [{}]: committed offset reads back as {} ({}), expected {}", e.topic, e.partition, e.offset,
          ks::kafka::error_name(e.error), expected[i].offset);
      rc = 1;
    }
  }
  return rc;
}

int cmd_commit(const Args& a, Watchdog& watchdog) {
  const std::string group = a.str("group");
  const std::string topic = a.str("topic");
  const auto timeout = static_cast<int>(a.integer("timeout", 30, 1, 3600));
  const std::vector<TopicPartition> offsets = parse_offsets(topic, a.str("offsets"));
  watchdog.arm(std::chrono::seconds(timeout), fmt::format("commit for group {} (--timeout {} s; is Kafka reachable at {}?)",
                                                          group, timeout, a.str("bootstrap")));
  ks::kafka::GroupConsumerSettings settings;
  settings.name = "consumer";
  settings.properties = client_properties(a, {{"group.id", group}, {"enable.auto.commit", "false"}});
  ks::kafka::GroupConsumer consumer(kafka_config(a, "commit"), std::move(settings));
  int rc = commit_offsets(consumer, group, offsets);
  if (rc == 0) rc = check_committed(consumer, group, offsets, timeout);
  consumer.close();
  watchdog.disarm();
  fmt::print("commit: group={} topic={} offsets={} result={}\n", group, topic, a.str("offsets"), rc == 0 ? "ok" : "failed");
  std::fflush(stdout);
  return rc;
}

// ----------------------------------------------------------------------------- create-topics

std::vector<ks::kafka::NewTopic> parse_topic_specs(const Args& a) {
  std::map<std::string, std::string> configs;
  for (const auto& kv : split(a.str("config", ""), ',')) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError(fmt::format("--config: expected KEY=VALUE, got '{}'", kv));
    configs[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::vector<ks::kafka::NewTopic> specs;
  for (const auto& item : split(a.str("topics"), ',')) {
    const auto parts = split(item, ':');
    if (parts.empty() || parts.size() > 3) throw UsageError(fmt::format("--topics: expected NAME[:PARTITIONS[:RF]], got '{}'", item));
    ks::kafka::NewTopic s{parts[0], -1, -1, configs};
    if (parts.size() >= 2) s.partitions = static_cast<int>(parse_int(parts[1], "--topics partitions"));
    if (parts.size() == 3) s.replication_factor = static_cast<int>(parse_int(parts[2], "--topics replication factor"));
    if (s.partitions == 0 || s.partitions < -1 || s.replication_factor == 0 || s.replication_factor < -1)
      throw UsageError(fmt::format("--topics: invalid partitions/replication in '{}'", item));
    specs.push_back(std::move(s));
  }
  if (specs.empty()) throw UsageError("--topics needs at least one topic");
  return specs;
}

// CreateTopics; fills `outcome` (created | exists | failed) and returns 0, or 1 (logged).
int create_topics(const ks::kafka::AdminClient& admin, const std::vector<ks::kafka::NewTopic>& specs, int timeout,
                  Clock::time_point deadline, const std::string& bootstrap, std::map<std::string, std::string>& outcome) {
  ks::kafka::CreateTopicsOptions options;
  options.request_timeout = std::chrono::seconds(timeout);
  options.operation_timeout = std::chrono::milliseconds(std::max(1000, (timeout - 2) * 1000));
  options.deadline = deadline;
  ks::kafka::CreateTopicsResult result;
  try {
    result = ks::kafka::create_topics(admin.client(), specs, options);
  } catch (const ks::kafka::InvalidNewTopic& e) {
    throw UsageError(e.what());
  }
  if (!result.answered) {
    log("ERROR: CreateTopics got no answer within {} s (is Kafka reachable at {}?)", timeout, bootstrap);
    return 1;
  }
  if (ks::kafka::failed(result.error)) {
    log("ERROR: CreateTopics failed: {} (bootstrap {})", result.message, bootstrap);
    return 1;
  }
  int rc = 0;
  for (const ks::kafka::TopicCreation& t : result.topics) {
    if (t.ok()) {
      outcome[t.name] = t.created() ? "created" : "exists";
      continue;
    }
    log("ERROR: creating topic {} failed: {}: {}", t.name, ks::kafka::error_name(t.error),
        t.message.empty() ? ks::kafka::error_name(t.error) : t.message);
    outcome[t.name] = "failed";
    rc = 1;
  }
  return rc;
}

// What is not ready yet of `specs` in the metadata ("" when every partition has a leader).
std::string topics_pending(const std::vector<ks::kafka::TopicInfo>& topics, const std::vector<ks::kafka::NewTopic>& specs,
                           std::map<std::string, std::string>& outcome, std::set<std::string>& warned) {
  std::string pending;
  for (const auto& s : specs) {
    const auto t = std::find_if(topics.begin(), topics.end(), [&](const auto& info) { return info.name == s.name; });
    if (t == topics.end() || ks::kafka::failed(t->error) || t->partitions.empty()) {
      pending += fmt::format(" {} (not in metadata yet)", s.name);
      continue;
    }
    for (const auto& p : t->partitions) {
      if (p.leader < 0) {
        pending += fmt::format(" {} [{}] (no leader)", s.name, p.id);
        break;
      }
    }
    const auto count = static_cast<int>(t->partitions.size());
    if (s.partitions > 0 && count != s.partitions && outcome[s.name] == "exists" && warned.insert(s.name).second)
      log("WARNING: topic {} exists with {} partitions (asked for {})", s.name, count, s.partitions);
  }
  return pending;
}

// Waits until every partition of the created/existing topics has a leader: 0, or 1 at the deadline.
int await_leaders(const ks::kafka::AdminClient& admin, const std::vector<ks::kafka::NewTopic>& specs, int timeout,
                  Clock::time_point deadline, std::map<std::string, std::string>& outcome) {
  std::set<std::string> warned;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    std::string pending;
    try {
      const auto topics = ks::kafka::lookup_all_topics(admin.client(), std::chrono::milliseconds(std::clamp<std::int64_t>(left, 500, 5000)));
      pending = topics_pending(topics, specs, outcome, warned);
    } catch (const std::exception& e) {  // kafka::KafkaError: no metadata in time
      pending = fmt::format("metadata: {}", e.what());
    }
    if (pending.empty()) return 0;
    if (Clock::now() >= deadline) {
      log("ERROR: topics not ready within {} s:{}", timeout, pending);
      return 1;
    }
    std::this_thread::sleep_for(200ms);
  }
}

int cmd_create_topics(const Args& a, Watchdog& watchdog) {
  const std::vector<ks::kafka::NewTopic> specs = parse_topic_specs(a);
  const auto timeout = static_cast<int>(a.integer("timeout", 30, 1, 3600));
  const auto deadline = Clock::now() + std::chrono::seconds(timeout);
  watchdog.arm(std::chrono::seconds(timeout + 5),
               fmt::format("create-topics (--timeout {} s; is Kafka reachable at {}?)", timeout, a.str("bootstrap")));
  int rc = 0;
  std::map<std::string, std::string> outcome;  // created | exists | failed
  {
    const ks::kafka::AdminClient admin(kafka_config(a, "admin"), "admin client", client_properties(a, {}));
    rc = create_topics(admin, specs, timeout, deadline, a.str("bootstrap"), outcome);
    if (rc == 0) rc = await_leaders(admin, specs, timeout, deadline, outcome);
  }
  watchdog.disarm();
  std::string summary;
  for (const auto& s : specs) {
    auto it = outcome.find(s.name);
    summary += fmt::format(" {}={}", s.name, it == outcome.end() ? "unknown" : it->second);
  }
  fmt::print("create-topics:{} result={}\n", summary, rc == 0 ? "ok" : "failed");
  std::fflush(stdout);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kHelp, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string cmd = args[0];
  args.erase(args.begin());
  g_role = cmd;
  route_library_logs();
  install_signal_handlers();
  try {
    Watchdog watchdog;
    if (cmd == "produce") {
      Args a(args, options({"topics", "rate", "duration", "count", "size", "key-space"}));
      if (a.help) return std::fputs(kHelp, stdout), 0;
      ProduceRun p(a);
      return p.run(watchdog);
    }
    if (cmd == "consume") {
      Args a(args, options({"group", "topics", "rate", "lag-seconds", "duration", "count", "commit-interval-ms", "from"}));
      if (a.help) return std::fputs(kHelp, stdout), 0;
      Consumer c(a);
      return c.run(watchdog);
    }
    if (cmd == "commit") {
      Args a(args, options({"group", "topic", "offsets", "timeout"}));
      if (a.help) return std::fputs(kHelp, stdout), 0;
      return cmd_commit(a, watchdog);
    }
    if (cmd == "create-topics") {
      Args a(args, options({"topics", "config", "timeout"}));
      if (a.help) return std::fputs(kHelp, stdout), 0;
      return cmd_create_topics(a, watchdog);
    }
    throw UsageError(fmt::format("unknown command '{}'", cmd));
  } catch (const UsageError& e) {
    log("usage error: {} (see kafka-sentinel-loadgen --help)", e.what());
    return 2;
  } catch (const std::exception& e) {
    log("ERROR: {}", e.what());
    return 1;
  }
}
