// kafka-sentinel-loadgen: a small, bounded Kafka workload generator for `make demo` and the
// integration tests. One role per process (produce, consume, commit, create-topics); run
// several processes for several roles. librdkafka C API only.
//
// Conventions: progress and errors go to stderr (a status line every --status-interval
// seconds); the one final result line goes to stdout as key=value pairs. Exit codes: 0 ok,
// 1 the workload failed (undelivered messages, failed commit, Kafka error), 2 usage error,
// 3 a shutdown or --timeout bound was exceeded (the process exits anyway).
#include <librdkafka/rdkafka.h>

#include <fmt/core.h>

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

// ----------------------------------------------------------------------------- librdkafka

struct KafkaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

extern "C" void error_cb(rd_kafka_t* rk, int err, const char* reason, void*) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    const auto orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
    log("FATAL Kafka client error: {}: {}", rd_kafka_err2name(orig), buf);
    g_fatal = true;
    return;
  }
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  g_ratelog(fmt::format("err{}", err),
            fmt::format("Kafka error {}: {}", rd_kafka_err2name(code), reason ? reason : ""));
}

extern "C" void log_cb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  g_ratelog(fmt::format("log{}{}", fac ? fac : "", buf ? std::string_view(buf).substr(0, 60) : ""),
            fmt::format("librdkafka[{}] {}: {}", level, fac ? fac : "", buf ? buf : ""));
}

class Conf {
 public:
  Conf() : conf_(rd_kafka_conf_new()) {
    rd_kafka_conf_set_error_cb(conf_, error_cb);
    rd_kafka_conf_set_log_cb(conf_, log_cb);
  }
  ~Conf() {
    if (conf_) rd_kafka_conf_destroy(conf_);
  }
  Conf(const Conf&) = delete;
  Conf& operator=(const Conf&) = delete;

  void set(const std::string& key, const std::string& value) {
    char err[512];
    if (rd_kafka_conf_set(conf_, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      throw UsageError(fmt::format("librdkafka property {}={}: {}", key, value, err));
  }
  // Common settings, then --property overrides.
  void common(const Args& a, const std::string& role) {
    set("bootstrap.servers", a.str("bootstrap"));
    set("client.id", a.str("client-id", "kafka-sentinel-loadgen-" + role));
    set("log.connection.close", "false");
  }
  void user_properties(const Args& a) {
    for (const auto& p : a.all("property")) {
      const auto eq = p.find('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError(fmt::format("--property needs KEY=VALUE, got '{}'", p));
      set(p.substr(0, eq), p.substr(eq + 1));
    }
  }
  rd_kafka_conf_t* get() { return conf_; }
  rd_kafka_conf_t* release() { return std::exchange(conf_, nullptr); }

 private:
  rd_kafka_conf_t* conf_;
};

rd_kafka_t* make_client(rd_kafka_type_t type, Conf& conf, const char* what) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!rk) throw KafkaError(fmt::format("creating the {} failed: {}", what, err));
  conf.release();  // owned by rk now
  return rk;
}

struct TopicPartitionList {
  explicit TopicPartitionList(int size = 8) : list(rd_kafka_topic_partition_list_new(size)) {}
  ~TopicPartitionList() { rd_kafka_topic_partition_list_destroy(list); }
  TopicPartitionList(const TopicPartitionList&) = delete;
  TopicPartitionList& operator=(const TopicPartitionList&) = delete;
  rd_kafka_topic_partition_list_t* list;
};

std::string describe(const rd_kafka_topic_partition_list_t* parts, bool with_offsets = false) {
  std::map<std::string, std::vector<std::string>> by_topic;
  for (int i = 0; i < parts->cnt; ++i) {
    const auto& p = parts->elems[i];
    by_topic[p.topic].push_back(with_offsets ? fmt::format("{}@{}", p.partition, p.offset)
                                             : fmt::format("{}", p.partition));
  }
  std::string out;
  for (const auto& [topic, ps] : by_topic) {
    if (!out.empty()) out += ' ';
    out += topic + "[";
    for (std::size_t i = 0; i < ps.size(); ++i) out += (i ? "," : "") + ps[i];
    out += "]";
  }
  return out.empty() ? "(none)" : out;
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

struct ProduceStats {
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
};

extern "C" void dr_msg_cb(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* st = static_cast<ProduceStats*>(opaque);
  if (m->err) {
    ++st->failed;
    g_ratelog(fmt::format("dr{}", static_cast<int>(m->err)),
              fmt::format("delivery to {} [{}] failed: {}", rd_kafka_topic_name(m->rkt), m->partition,
                          rd_kafka_err2str(m->err)));
  } else {
    ++st->delivered;
  }
}

int cmd_produce(const Args& a, Watchdog& watchdog) {
  const auto topics = split(a.str("topics"), ',');
  if (topics.empty()) throw UsageError("--topics needs at least one topic");
  const double rate = a.number("rate", 100, 0, 1e7);
  const double duration = a.number("duration", 0, 0, 1e9);
  const std::int64_t count = a.integer("count", 0, 0, INT64_MAX);
  const std::int64_t size = a.integer("size", 100, 0, 100 * 1024 * 1024);
  const std::int64_t key_space = a.integer("key-space", 1000, 0, INT64_MAX);
  const double status_interval = a.number("status-interval", 5, 0, 1e6);

  ProduceStats stats;
  Conf conf;
  conf.common(a, "producer");
  conf.set("enable.idempotence", "true");
  conf.set("acks", "all");
  conf.set("linger.ms", "5");
  conf.set("message.timeout.ms", "60000");
  conf.user_properties(a);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), dr_msg_cb);
  rd_kafka_conf_set_opaque(conf.get(), &stats);
  rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, conf, "producer");

  std::vector<rd_kafka_topic_t*> rkts;
  for (const auto& t : topics) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, t.c_str(), nullptr);
    if (!rkt) throw KafkaError(fmt::format("topic handle for '{}': {}", t, rd_kafka_err2str(rd_kafka_last_error())));
    rkts.push_back(rkt);
  }

  log("producing to {} at {} msgs/s{}{}, {} B values, key space {} (bootstrap {})", a.str("topics"),
      rate > 0 ? fmt::format("{:g}", rate) : "max",
      duration > 0 ? fmt::format(" for {:g} s", duration) : "",
      count > 0 ? fmt::format(" up to {} messages", count) : "", size, key_space, a.str("bootstrap"));

  std::string value(static_cast<std::size_t>(size), 'x');
  const auto start = Clock::now();
  const auto end = duration > 0 ? start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration))
                                : Clock::time_point::max();
  TokenBucket bucket(rate);
  StatusTimer status(status_interval);
  std::uint64_t produced = 0, produce_errors = 0, last_status_produced = 0;
  auto last_status = start;
  std::string stop_reason = "signal";

  auto status_line = [&] {
    const double dt = seconds_since(last_status);
    log("status: produced={} delivered={} failed={} queued={} rate={:.1f}/s", produced, stats.delivered,
        stats.failed + produce_errors, rd_kafka_outq_len(rk),
        dt > 0 ? static_cast<double>(produced - last_status_produced) / dt : 0.0);
    last_status = Clock::now();
    last_status_produced = produced;
  };

  for (;;) {
    if (signalled()) break;
    if (g_fatal) {
      stop_reason = "fatal error";
      break;
    }
    if (Clock::now() >= end) {
      stop_reason = "duration reached";
      break;
    }
    if (count > 0 && produced >= static_cast<std::uint64_t>(count)) {
      stop_reason = "count reached";
      break;
    }
    bucket.refill();
    bool queue_full = false;
    int batch = 0;
    while (batch < 10000 && (count == 0 || produced < static_cast<std::uint64_t>(count)) && bucket.available()) {
      const std::uint64_t i = produced + produce_errors;
      const std::string header = fmt::format("seq={} ts={} ", i, now_ms());
      std::memcpy(value.data(), header.data(), std::min(header.size(), value.size()));
      const std::string key = key_space > 0 ? fmt::format("key-{}", i % static_cast<std::uint64_t>(key_space)) : "";
      rd_kafka_topic_t* rkt = rkts[i % rkts.size()];
      const int rc = rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value.data(), value.size(),
                                      key_space > 0 ? key.data() : nullptr, key.size(), nullptr);
      if (rc != 0) {
        const auto err = rd_kafka_last_error();
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          queue_full = true;
          break;
        }
        ++produce_errors;
        g_ratelog(fmt::format("produce{}", static_cast<int>(err)),
                  fmt::format("produce to {} failed: {}", rd_kafka_topic_name(rkt), rd_kafka_err2str(err)));
        if (err == RD_KAFKA_RESP_ERR__FATAL) g_fatal = true;
        break;
      }
      bucket.take();
      ++produced;
      ++batch;
    }
    if (status.due()) status_line();
    if (queue_full) {
      rd_kafka_poll(rk, 10);
      continue;
    }
    rd_kafka_poll(rk, 0);
    auto wait = std::min<std::chrono::microseconds>(bucket.wait(), 100ms);
    if (end != Clock::time_point::max())
      wait = std::min(wait, std::chrono::duration_cast<std::chrono::microseconds>(std::max(end - Clock::now(), Clock::duration::zero())));
    if (wait > 0us) std::this_thread::sleep_for(wait);
  }

  const double elapsed = seconds_since(start);
  const bool by_signal = stop_reason == "signal";
  const int flush_ms = by_signal ? 5000 : 30000;
  watchdog.arm(std::chrono::seconds(flush_ms / 1000 + 10), "producer shutdown");
  log("stopping ({}): flushing {} queued message(s) (up to {} s)", stop_reason, rd_kafka_outq_len(rk), flush_ms / 1000);
  if (rd_kafka_flush(rk, flush_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log("ERROR: flush timed out with {} message(s) undelivered; purging them", rd_kafka_outq_len(rk));
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk, 2000);
  }
  status_line();
  for (auto* rkt : rkts) rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  watchdog.disarm();

  const std::uint64_t failed = stats.failed + produce_errors;
  fmt::print("produce: produced={} delivered={} failed={} elapsed_s={:.2f} rate={:.1f}\n", produced, stats.delivered,
             failed, elapsed, elapsed > 0 ? static_cast<double>(stats.delivered) / elapsed : 0.0);
  std::fflush(stdout);
  const bool ok = failed == 0 && stats.delivered == produced && !g_fatal;
  if (!ok) log("ERROR: {} of {} message(s) were not delivered", produced + produce_errors - stats.delivered, produced + produce_errors);
  return ok ? 0 : 1;
}

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
    Conf conf;
    conf.common(args_, "consumer");
    conf.set("group.id", group_);
    conf.set("enable.auto.commit", "false");
    conf.set("enable.auto.offset.store", "false");
    conf.set("auto.offset.reset", from_);
    conf.user_properties(args_);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::rebalance_cb);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rk_ = make_client(RD_KAFKA_CONSUMER, conf, "consumer");
    rd_kafka_poll_set_consumer(rk_);
    commit_q_ = rd_kafka_queue_new(rk_);

    TopicPartitionList sub(static_cast<int>(topics_.size()));
    for (const auto& t : topics_) rd_kafka_topic_partition_list_add(sub.list, t.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(rk_, sub.list)) {
      throw KafkaError(fmt::format("subscribe to {}: {}", args_.str("topics"), rd_kafka_err2str(err)));
    }
    log("group {} consuming {}{}{}{}, committing every {} ms (bootstrap {})", group_, args_.str("topics"),
        rate_ > 0 ? fmt::format(", at most {:g} msgs/s", rate_) : "",
        lag_ms_ > 0 ? fmt::format(", {:g} s behind", static_cast<double>(lag_ms_) / 1000.0) : "",
        duration_ > 0 ? fmt::format(", for {:g} s", duration_) : "", commit_interval_.count(), args_.str("bootstrap"));

    const auto start = Clock::now();
    const auto end = duration_ > 0 ? start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_))
                                   : Clock::time_point::max();
    TokenBucket bucket(rate_);
    StatusTimer status(status_interval_);
    auto next_commit = Clock::now() + commit_interval_;
    std::string stop_reason = "signal";

    for (;;) {
      if (signalled()) break;
      if (g_fatal) {
        stop_reason = "fatal error";
        break;
      }
      if (Clock::now() >= end) {
        stop_reason = "duration reached";
        break;
      }
      if (count_ > 0 && processed_ >= static_cast<std::uint64_t>(count_)) {
        stop_reason = "count reached";
        break;
      }
      // Poll: short when there is work we may do now, else up to 100 ms.
      bucket.refill();
      int timeout_ms = 100;
      if (auto due = next_due_ms()) {
        const auto now = now_ms();
        timeout_ms = static_cast<int>(std::clamp<std::int64_t>(*due - now, 0, 100));
        if (!bucket.available())  // rate-limited: wait for the next token (at least 1 ms)
          timeout_ms = std::max(timeout_ms, static_cast<int>(std::min<std::int64_t>(100, bucket.wait().count() / 1000 + 1)));
      }
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, timeout_ms)) {
        on_message(m);
        rd_kafka_message_destroy(m);
        // Drain what is already fetched without waiting.
        for (int i = 0; i < 1000; ++i) {
          rd_kafka_message_t* more = rd_kafka_consumer_poll(rk_, 0);
          if (!more) break;
          on_message(more);
          rd_kafka_message_destroy(more);
        }
      }
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

    watchdog.arm(20s, "consumer shutdown");
    log("stopping ({}): final commit and leaving group {}", stop_reason, group_);
    closing_ = true;
    commit_sync("final");
    serve_commit_results();
    if (auto err = rd_kafka_consumer_close(rk_)) log("ERROR: closing the consumer: {}", rd_kafka_err2str(err));
    serve_commit_results();
    status_line();
    rd_kafka_queue_destroy(commit_q_);
    rd_kafka_destroy(rk_);
    watchdog.disarm();
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
  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                           void* opaque) {
    static_cast<Consumer*>(opaque)->on_rebalance(rk, err, parts);
  }

  void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      log("assigned: {}", describe(parts));
      ever_assigned_ = ever_assigned_ || parts->cnt > 0;
      for (int i = 0; i < parts->cnt; ++i) parts_[Key{parts->elems[i].topic, parts->elems[i].partition}] = Part{};
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, parts)) {
          log("ERROR: incremental assign: {}", rd_kafka_error_string(e));
          rd_kafka_error_destroy(e);
        }
      } else if (auto e = rd_kafka_assign(rk, parts)) {
        log("ERROR: assign: {}", rd_kafka_err2str(e));
      }
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      const bool lost = rd_kafka_assignment_lost(rk);
      log("revoked{}: {}", lost ? " (assignment lost)" : "", describe(parts));
      // Commit what was processed before handing the partitions over (not when lost: the
      // group has moved on and the commit would be rejected).
      if (!lost) commit_sync("rebalance");
      TopicPartitionList to_resume;
      for (int i = 0; i < parts->cnt; ++i) {
        const Key k{parts->elems[i].topic, parts->elems[i].partition};
        auto it = parts_.find(k);
        if (it == parts_.end()) continue;
        if (it->second.paused) rd_kafka_topic_partition_list_add(to_resume.list, k.topic.c_str(), k.partition);
        parts_.erase(it);  // held (unprocessed) messages are left to the next owner
      }
      if (to_resume.list->cnt > 0) rd_kafka_resume_partitions(rk, to_resume.list);
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts)) {
          log("ERROR: incremental unassign: {}", rd_kafka_error_string(e));
          rd_kafka_error_destroy(e);
        }
      } else {
        rd_kafka_assign(rk, nullptr);
      }
      return;
    }
    log("ERROR: rebalance: {}", rd_kafka_err2str(err));
    rd_kafka_assign(rk, nullptr);
    parts_.clear();
  }

  void on_message(rd_kafka_message_t* m) {
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
      const std::string where =
          m->rkt ? fmt::format("{} [{}]", rd_kafka_topic_name(m->rkt), m->partition) : std::string("consumer");
      g_ratelog(fmt::format("consume{}{}", static_cast<int>(m->err), where),
                fmt::format("consume error on {}: {}", where, rd_kafka_message_errstr(m)));
      if (m->err == RD_KAFKA_RESP_ERR__FATAL) g_fatal = true;
      return;
    }
    auto& p = parts_[Key{rd_kafka_topic_name(m->rkt), m->partition}];
    if (p.next_offset >= 0 && m->offset < p.next_offset) {  // already received (refetch)
      ++duplicates_;
      return;
    }
    p.next_offset = m->offset + 1;
    ++consumed_;
    rd_kafka_timestamp_type_t type;
    std::int64_t ts = rd_kafka_message_timestamp(m, &type);
    if (ts < 0) ts = now_ms();
    p.held.push_back(Held{m->offset, ts});
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
    TopicPartitionList list(static_cast<int>(store.size()));
    for (const auto& [k, off] : store)
      rd_kafka_topic_partition_list_add(list.list, k.topic.c_str(), k.partition)->offset = off;
    if (auto err = rd_kafka_offsets_store(rk_, list.list)) {
      g_ratelog("store", fmt::format("storing offsets {}: {}", describe(list.list, true), rd_kafka_err2str(err)));
    }
  }

  // Bounds memory: pause partitions with many held messages, resume them once drained.
  // (librdkafka resumes a paused partition after the last message it handed to us.)
  void flow_control() {
    TopicPartitionList pause, resume;
    for (auto& [k, p] : parts_) {
      if (!p.paused && p.held.size() >= kMaxHeld) {
        rd_kafka_topic_partition_list_add(pause.list, k.topic.c_str(), k.partition);
        p.paused = true;
      } else if (p.paused && p.held.size() <= kMaxHeld / 2) {
        rd_kafka_topic_partition_list_add(resume.list, k.topic.c_str(), k.partition);
        p.paused = false;
      }
    }
    if (pause.list->cnt > 0) {
      if (auto err = rd_kafka_pause_partitions(rk_, pause.list)) log("ERROR: pause {}: {}", describe(pause.list), rd_kafka_err2str(err));
    }
    if (resume.list->cnt > 0) {
      if (auto err = rd_kafka_resume_partitions(rk_, resume.list)) log("ERROR: resume {}: {}", describe(resume.list), rd_kafka_err2str(err));
    }
  }

  void commit_async() {
    if (processed_ == commit_requested_) return;  // nothing new processed
    commit_requested_ = processed_;
    const auto err = rd_kafka_commit_queue(rk_, nullptr, commit_q_, nullptr,
                                           reinterpret_cast<void*>(static_cast<std::uintptr_t>(processed_)));
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
      g_ratelog("commit", fmt::format("commit request failed: {}", rd_kafka_err2str(err)));
  }

  void commit_sync(const char* why) {
    const std::uint64_t snapshot = processed_;
    // The coordinator may be moving (a node was just stopped): retried, bounded, so the final
    // and the rebalance commits are not lost.
    const auto err = ks::loadgen::commit_with_retry(
        [&] { return rd_kafka_commit(rk_, nullptr, 0); }, ks::loadgen::CommitRetryPolicy{},
        [&](rd_kafka_resp_err_t e, int attempt, std::chrono::milliseconds backoff) {
          log("{} commit of group {} failed ({}, attempt {}): coordinator moving, retrying in {} ms", why,
              group_, rd_kafka_err2name(e), attempt, backoff.count());
        });
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) {
      committed_ = std::max<std::uint64_t>(committed_, snapshot);
      commit_requested_ = std::max(commit_requested_, snapshot);
      return;
    }
    log("ERROR: {} commit of group {} failed: {}", why, group_, rd_kafka_err2str(err));
    if (closing_) commit_failed_ = true;
  }

  void serve_commit_results() {
    while (rd_kafka_event_t* ev = rd_kafka_queue_poll(commit_q_, 0)) {
      if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_OFFSET_COMMIT) {
        const auto err = rd_kafka_event_error(ev);
        const auto snapshot = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(rd_kafka_event_opaque(ev)));
        bool partition_error = false;
        if (const auto* parts = rd_kafka_event_topic_partition_list(ev)) {
          for (int i = 0; i < parts->cnt; ++i) {
            if (parts->elems[i].err) {
              partition_error = true;
              g_ratelog("commitp", fmt::format("commit of {} [{}] failed: {}", parts->elems[i].topic,
                                               parts->elems[i].partition, rd_kafka_err2str(parts->elems[i].err)));
            }
          }
        }
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR && !partition_error) {
          committed_ = std::max(committed_, snapshot);
        } else {
          if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
            g_ratelog("commit", fmt::format("commit of group {} failed: {}", group_, rd_kafka_err2str(err)));
          }
          // Not committed (e.g. the coordinator moved): the next commit interval commits the
          // stored offsets again even if nothing new was processed meanwhile.
          commit_requested_ = std::min(commit_requested_, committed_);
        }
      }
      rd_kafka_event_destroy(ev);
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

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* commit_q_ = nullptr;
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

struct CommitResult {
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_resp_err_t first_partition_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::vector<std::string> partition_errors;
  bool called = false;
};

extern "C" void commit_result_cb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
                                 void* opaque) {
  auto* r = static_cast<CommitResult*>(opaque);
  r->called = true;
  r->err = err;
  r->first_partition_err = ks::loadgen::commit_error(RD_KAFKA_RESP_ERR_NO_ERROR, offsets);
  if (offsets) {
    for (int i = 0; i < offsets->cnt; ++i) {
      if (offsets->elems[i].err)
        r->partition_errors.push_back(fmt::format("{} [{}]: {}", offsets->elems[i].topic, offsets->elems[i].partition,
                                                  rd_kafka_err2str(offsets->elems[i].err)));
    }
  }
}

int cmd_commit(const Args& a, Watchdog& watchdog) {
  const std::string group = a.str("group");
  const std::string topic = a.str("topic");
  const auto timeout = static_cast<int>(a.integer("timeout", 30, 1, 3600));
  std::vector<std::pair<std::int32_t, std::int64_t>> offsets;
  for (const auto& item : split(a.str("offsets"), ',')) {
    const auto colon = item.find(':');
    if (colon == std::string::npos) throw UsageError(fmt::format("--offsets: expected PARTITION:OFFSET, got '{}'", item));
    const auto p = parse_int(item.substr(0, colon), "--offsets partition");
    const auto o = parse_int(item.substr(colon + 1), "--offsets offset");
    if (p < 0 || p > INT32_MAX || o < 0) throw UsageError(fmt::format("--offsets: invalid '{}'", item));
    offsets.emplace_back(static_cast<std::int32_t>(p), o);
  }
  if (offsets.empty()) throw UsageError("--offsets needs at least one PARTITION:OFFSET");
  watchdog.arm(std::chrono::seconds(timeout), fmt::format("commit for group {} (--timeout {} s; is Kafka reachable at {}?)",
                                                          group, timeout, a.str("bootstrap")));

  Conf conf;
  conf.common(a, "commit");
  conf.set("group.id", group);
  conf.set("enable.auto.commit", "false");
  conf.user_properties(a);
  rd_kafka_t* rk = make_client(RD_KAFKA_CONSUMER, conf, "consumer");

  TopicPartitionList list(static_cast<int>(offsets.size()));
  for (const auto& [p, o] : offsets) rd_kafka_topic_partition_list_add(list.list, topic.c_str(), p)->offset = o;

  CommitResult result;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  // The coordinator may be moving (a node was just stopped): retried, bounded.
  ks::loadgen::commit_with_retry(
      [&] {
        result = CommitResult{};
        // A NULL queue makes this call synchronous; the callback reports per-partition errors.
        err = rd_kafka_commit_queue(rk, list.list, nullptr, commit_result_cb, &result);
        return err ? err : result.err ? result.err : result.first_partition_err;
      },
      ks::loadgen::CommitRetryPolicy{},
      [&](rd_kafka_resp_err_t e, int attempt, std::chrono::milliseconds backoff) {
        log("commit of group {} failed ({}, attempt {}): coordinator moving, retrying in {} ms", group,
            rd_kafka_err2name(e), attempt, backoff.count());
      });
  int rc = 0;
  if (err || result.err || !result.partition_errors.empty()) {
    log("ERROR: committing {} for group {} failed: {}", describe(list.list, true), group,
        rd_kafka_err2str(err ? err : result.err));
    for (const auto& e : result.partition_errors) log("ERROR:   {}", e);
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || result.err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
        err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || result.err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION)
      log("ERROR:   (group {} probably has active members; stop its consumers first)", group);
    rc = 1;
  } else {
    // Read them back.
    TopicPartitionList check(static_cast<int>(offsets.size()));
    for (const auto& [p, o] : offsets) rd_kafka_topic_partition_list_add(check.list, topic.c_str(), p);
    const auto cerr = ks::loadgen::commit_with_retry(
        [&] { return rd_kafka_committed(rk, check.list, std::max(1000, (timeout - 1) * 1000)); },
        ks::loadgen::CommitRetryPolicy{}, [](rd_kafka_resp_err_t, int, std::chrono::milliseconds) {});
    if (cerr) {
      log("ERROR: reading back committed offsets of group {}: {}", group, rd_kafka_err2str(cerr));
      rc = 1;
    } else {
      for (int i = 0; i < check.list->cnt; ++i) {
        const auto& e = check.list->elems[i];
        if (e.err || e.offset != list.list->elems[i].offset) {
          log("ERROR: {} [{}]: committed offset reads back as {} ({}), expected {}", e.topic, e.partition, e.offset,
              rd_kafka_err2str(e.err), list.list->elems[i].offset);
          rc = 1;
        }
      }
    }
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  watchdog.disarm();
  fmt::print("commit: group={} topic={} offsets={} result={}\n", group, topic, a.str("offsets"), rc == 0 ? "ok" : "failed");
  std::fflush(stdout);
  return rc;
}

// ----------------------------------------------------------------------------- create-topics

struct TopicSpec {
  std::string name;
  int partitions = -1;
  int replication = -1;
};

int cmd_create_topics(const Args& a, Watchdog& watchdog) {
  std::vector<TopicSpec> specs;
  for (const auto& item : split(a.str("topics"), ',')) {
    const auto parts = split(item, ':');
    if (parts.empty() || parts.size() > 3) throw UsageError(fmt::format("--topics: expected NAME[:PARTITIONS[:RF]], got '{}'", item));
    TopicSpec s{parts[0]};
    if (parts.size() >= 2) s.partitions = static_cast<int>(parse_int(parts[1], "--topics partitions"));
    if (parts.size() == 3) s.replication = static_cast<int>(parse_int(parts[2], "--topics replication factor"));
    if (s.partitions == 0 || s.partitions < -1 || s.replication == 0 || s.replication < -1)
      throw UsageError(fmt::format("--topics: invalid partitions/replication in '{}'", item));
    specs.push_back(s);
  }
  if (specs.empty()) throw UsageError("--topics needs at least one topic");
  std::vector<std::pair<std::string, std::string>> configs;
  for (const auto& kv : split(a.str("config", ""), ',')) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError(fmt::format("--config: expected KEY=VALUE, got '{}'", kv));
    configs.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  const auto timeout = static_cast<int>(a.integer("timeout", 30, 1, 3600));
  const auto deadline = Clock::now() + std::chrono::seconds(timeout);
  watchdog.arm(std::chrono::seconds(timeout + 5),
               fmt::format("create-topics (--timeout {} s; is Kafka reachable at {}?)", timeout, a.str("bootstrap")));

  Conf conf;
  conf.common(a, "admin");
  conf.user_properties(a);
  rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, conf, "admin client");

  std::vector<rd_kafka_NewTopic_t*> new_topics;
  char errstr[512];
  for (const auto& s : specs) {
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(s.name.c_str(), s.partitions, s.replication, errstr, sizeof errstr);
    if (!nt) throw UsageError(fmt::format("topic {}: {}", s.name, errstr));
    for (const auto& [k, v] : configs) {
      if (auto err = rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str()))
        throw UsageError(fmt::format("topic {} config {}={}: {}", s.name, k, v, rd_kafka_err2str(err)));
    }
    new_topics.push_back(nt);
  }
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(opts, timeout * 1000, errstr, sizeof errstr);
  rd_kafka_AdminOptions_set_operation_timeout(opts, std::max(1000, (timeout - 2) * 1000), errstr, sizeof errstr);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), opts, q);

  int rc = 0;
  std::map<std::string, std::string> outcome;  // created | exists | failed
  std::set<std::string> warned;
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout * 1000);
  if (!ev) {
    log("ERROR: CreateTopics got no answer within {} s (is Kafka reachable at {}?)", timeout, a.str("bootstrap"));
    rc = 1;
  } else if (rd_kafka_event_error(ev)) {
    log("ERROR: CreateTopics failed: {} (bootstrap {})", rd_kafka_event_error_string(ev), a.str("bootstrap"));
    rc = 1;
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    std::size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string name = rd_kafka_topic_result_name(results[i]);
      const auto err = rd_kafka_topic_result_error(results[i]);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        outcome[name] = "created";
      } else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        outcome[name] = "exists";
      } else {
        const char* msg = rd_kafka_topic_result_error_string(results[i]);
        log("ERROR: creating topic {} failed: {}: {}", name, rd_kafka_err2name(err), msg ? msg : rd_kafka_err2str(err));
        outcome[name] = "failed";
        rc = 1;
      }
    }
  }
  if (ev) rd_kafka_event_destroy(ev);

  // Wait until every partition of the created/existing topics has a leader.
  if (rc == 0) {
    for (;;) {
      const struct rd_kafka_metadata* md = nullptr;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      std::string pending;
      const auto err = rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(std::clamp<std::int64_t>(left, 500, 5000)));
      if (err) {
        pending = fmt::format("metadata: {}", rd_kafka_err2str(err));
      } else {
        for (const auto& s : specs) {
          const rd_kafka_metadata_topic* t = nullptr;
          for (int i = 0; i < md->topic_cnt; ++i)
            if (s.name == md->topics[i].topic) t = &md->topics[i];
          if (!t || t->err || t->partition_cnt == 0) {
            pending += fmt::format(" {} (not in metadata yet)", s.name);
            continue;
          }
          for (int i = 0; i < t->partition_cnt; ++i) {
            if (t->partitions[i].leader < 0) {
              pending += fmt::format(" {} [{}] (no leader)", s.name, t->partitions[i].id);
              break;
            }
          }
          if (s.partitions > 0 && t->partition_cnt != s.partitions && outcome[s.name] == "exists" &&
              warned.insert(s.name).second)
            log("WARNING: topic {} exists with {} partitions (asked for {})", s.name, t->partition_cnt, s.partitions);
        }
      }
      if (md) rd_kafka_metadata_destroy(md);
      if (pending.empty()) break;
      if (Clock::now() >= deadline) {
        log("ERROR: topics not ready within {} s:{}", timeout, pending);
        rc = 1;
        break;
      }
      std::this_thread::sleep_for(200ms);
    }
  }

  rd_kafka_queue_destroy(q);
  rd_kafka_AdminOptions_destroy(opts);
  for (auto* nt : new_topics) rd_kafka_NewTopic_destroy(nt);
  rd_kafka_destroy(rk);
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
  install_signal_handlers();
  try {
    Watchdog watchdog;
    if (cmd == "produce") {
      Args a(args, options({"topics", "rate", "duration", "count", "size", "key-space"}));
      if (a.help) return std::fputs(kHelp, stdout), 0;
      return cmd_produce(a, watchdog);
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
