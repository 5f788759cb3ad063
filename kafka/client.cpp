#include "kafka/client.hpp"

#include "kafka/client_statistics.hpp"
#include "kafka/detail/native.hpp"
#include "kafka/secret_properties.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

namespace ks::kafka {
namespace {

using namespace std::chrono_literals;

// One line per minute per (facility, broker thread) is plenty to see that a broker is down.
constexpr auto kLogWindow = 60s;
constexpr int kLogBurst = 1;

void log_callback(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  if (auto* context = static_cast<ClientContext*>(rd_kafka_opaque(rk))) {
    context->on_log(level, facility, message);
  }
}

void error_callback(rd_kafka_t*, int code, const char* reason, void* opaque) {
  if (auto* context = static_cast<ClientContext*>(opaque)) context->on_error(code, reason);
}

int stats_callback(rd_kafka_t*, char* json, size_t length, void* opaque) {
  if (auto* context = static_cast<ClientContext*>(opaque)) {
    context->on_stats(std::string_view(json, length));
  }
  return 0;  // librdkafka frees the JSON
}

std::uint64_t next_instance() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// librdkafka prefixes messages with its thread: "[thrd:127.0.0.1:9092/1]: ...". That, with
// the facility, identifies "this broker connection": the throttling key.
std::string_view thread_prefix(std::string_view message) {
  if (!message.starts_with("[thrd:")) return {};
  const auto end = message.find("]:");
  return end == std::string_view::npos ? std::string_view{} : message.substr(0, end + 1);
}

void set_or_throw(rd_kafka_conf_t* conf, const std::string& name, const std::string& value,
                  std::string_view origin) {
  std::array<char, 512> error{};
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error.data(), error.size()) !=
      RD_KAFKA_CONF_OK) {
    throw KafkaError(ErrorCode::local_invalid_arg,
                     fmt::format("{} {}={}: {}", origin, name, shown_value(name, value),
                                 redact_value(error.data(), name, value)));
  }
}

// The one configuration of every client the agent makes. The agent's defaults come first
// so that kafka.properties (security.protocol, sasl.*, ssl.*, ...) can override them; the
// caller's `extra` come last and win.
ConfPtr client_configuration(const KafkaConfig& config,
                             const std::map<std::string, std::string>& extra) {
  ConfPtr conf(rd_kafka_conf_new());
  // log.connection.close stays on (librdkafka's default, which already quiets the closes of
  // idle connections): with it off, a connection closed during its first request is not
  // reported at all, and that is the only sign of a PLAINTEXT client on a TLS port ("might be
  // caused by incorrect security.protocol"). Such lines are classified (facility FAIL).
  set_or_throw(conf.get(), "socket.keepalive.enable", "true", "default");
  for (const auto& [key, value] : config.properties) {
    set_or_throw(conf.get(), key, value, "kafka.properties:");
  }
  set_or_throw(conf.get(), "bootstrap.servers", config.bootstrap_servers, "kafka.bootstrap_servers:");
  set_or_throw(conf.get(), "client.id", config.client_id, "kafka.client_id:");
  for (const auto& [key, value] : extra) set_or_throw(conf.get(), key, value, "property");
  return conf;
}

// Routes the handle's log, error and statistics callbacks to `context`.
void attach_context(rd_kafka_conf_t* conf, ClientContext* context) {
  rd_kafka_conf_set_opaque(conf, context);
  rd_kafka_conf_set_log_cb(conf, log_callback);
  rd_kafka_conf_set_error_cb(conf, error_callback);
  rd_kafka_conf_set_stats_cb(conf, stats_callback);
}

}  // namespace

void HandleDeleter::operator()(rd_kafka_s* rk) const { rd_kafka_destroy(rk); }

bool LogThrottle::allow(std::string_view key, std::chrono::steady_clock::time_point now,
                        std::uint64_t& suppressed) {
  auto it = keys_.find(std::string(key));
  if (it == keys_.end()) {
    // Bounded: keys are (facility, broker thread) pairs; drop them all if that ever grows.
    if (keys_.size() > 4096) keys_.clear();
    it = keys_.emplace(std::string(key), State{now, 0, 0}).first;
  }
  State& s = it->second;
  if (now - s.window_start >= window_) {
    s.window_start = now;
    s.written = 0;
  }
  if (s.written < burst_) {
    ++s.written;
    suppressed = s.suppressed;
    s.suppressed = 0;
    return true;
  }
  ++s.suppressed;
  return false;
}

ClientContext::ClientContext(std::string name)
    : name_(std::move(name)), instance_(next_instance()), throttle_(kLogWindow, kLogBurst) {}

ClientContext::~ClientContext() { process_statistics().forget(instance_); }

std::string ClientContext::latest_stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void FailureNote::record(std::string_view text, FailureCause cause) {
  std::lock_guard lock(mutex_);
  text_.assign(text);
  cause_ = cause;
  at_ = std::chrono::steady_clock::now();
}

bool FailureNote::fresh(std::chrono::steady_clock::time_point now) const {
  return !text_.empty() && now - at_ <= kFresh;
}

std::string FailureNote::describe() const {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (!fresh(now)) return {};
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - at_);
  if (cause_ == FailureCause::none) return fmt::format("{} ({} s ago)", text_, age.count());
  return fmt::format("{} ({}): {} ({} s ago)", cause_words(cause_), cause_hint(cause_), text_,
                     age.count());
}

FailureCause FailureNote::cause() const {
  std::lock_guard lock(mutex_);
  return fresh(std::chrono::steady_clock::now()) ? cause_ : FailureCause::none;
}

// Security failures (a refused password, an untrusted certificate, the wrong protocol) repeat
// at every reconnect with the same meaning: one line when the cause changes.
bool ClientContext::log_cause_change(FailureCause cause) {
  std::lock_guard lock(mutex_);
  if (cause == logged_cause_) return false;
  logged_cause_ = cause;
  return true;
}

void ClientContext::on_log(int level, const char* facility, const char* message) {
  const std::string_view text(message ? message : "");
  const std::string_view fac(facility ? facility : "");
  // librdkafka's errors (level <= 3) are noted and counted whatever the log level: /readyz
  // and the self-metrics show them.
  const bool failure = level <= 3 || fac == "FAIL";
  const FailureCause cause = failure ? classify_failure(text) : FailureCause::none;
  if (cause != FailureCause::none) count_failure(cause);
  if ((level <= 3 || cause != FailureCause::none) && failure_note_ && message) {
    failure_note_->record(text, cause);
  }
  // A reduced level: librdkafka's errors are the agent's warnings (the agent reports them
  // in its metrics), its warnings are information, everything else is debug detail.
  spdlog::level::level_enum target = spdlog::level::debug;
  if (level <= 3 || is_security_failure(cause)) {
    target = spdlog::level::warn;
  } else if (level == 4) {
    target = spdlog::level::info;
  }
  if (!spdlog::should_log(target)) return;
  if (is_security_failure(cause)) {
    if (!log_cause_change(cause)) return;
    spdlog::log(target, "librdkafka [{}] {}: {}: {} ({})", name_, fac, cause_words(cause), text,
                cause_hint(cause));
    return;
  }
  if (target != spdlog::level::debug) {
    std::uint64_t suppressed = 0;
    {
      std::lock_guard lock(mutex_);
      std::string key(fac);
      key += thread_prefix(text);
      if (!throttle_.allow(key, std::chrono::steady_clock::now(), suppressed)) return;
    }
    if (suppressed > 0) {
      spdlog::log(target, "librdkafka [{}] {}: {} ({} similar lines suppressed)", name_, fac,
                  text, suppressed);
      return;
    }
  }
  spdlog::log(target, "librdkafka [{}] {}: {}", name_, fac, text);
}

void ClientContext::on_error(int code, const char* reason) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  const auto err = static_cast<rd_kafka_resp_err_t>(code);
  // Connection failures are already in the log (throttled) and in the metrics; only the
  // whole cluster going away is worth a line of its own.
  const bool notable = err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__FATAL ||
                       err == RD_KAFKA_RESP_ERR__AUTHENTICATION;
  // A security failure was logged (once per change of cause) by on_log already.
  if (!notable || is_security_failure(classify_failure(reason ? reason : ""))) {
    spdlog::debug("librdkafka [{}] error {}: {}", name_, rd_kafka_err2name(err), reason ? reason : "");
    return;
  }
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mutex_);
    if (!throttle_.allow(std::string("error:") + rd_kafka_err2name(err),
                         std::chrono::steady_clock::now(), suppressed)) {
      return;
    }
  }
  spdlog::warn("librdkafka [{}] {}: {}{}", name_, rd_kafka_err2name(err), reason ? reason : "",
               suppressed ? fmt::format(" ({} similar errors suppressed)", suppressed) : "");
}

void ClientContext::on_stats(std::string_view json) {
  {
    std::lock_guard lock(mutex_);
    stats_.assign(json);
    stats_count_.fetch_add(1, std::memory_order_relaxed);
  }
  const StatisticsParse parsed = parse_statistics(json);
  if (parsed.statistics) {
    process_statistics().record(name_, instance_, *parsed.statistics);
    return;
  }
  process_statistics().count_malformed();
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mutex_);
    if (!throttle_.allow("statistics", std::chrono::steady_clock::now(), suppressed)) return;
  }
  spdlog::warn("librdkafka [{}] statistics not recorded ({} bytes): {}{}", name_, json.size(),
               parsed.error,
               suppressed ? fmt::format(" ({} similar suppressed)", suppressed) : "");
}

int Client::poll(std::chrono::milliseconds timeout) const {
  if (!handle_) return 0;
  std::lock_guard lock(context_->poll_mutex());
  return rd_kafka_poll(handle_.get(), static_cast<int>(timeout.count()));
}

std::map<std::string, std::string> statistics_properties(const KafkaConfig& config) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(config.statistics_interval);
  if (ms.count() <= 0) return {};
  return {{"statistics.interval.ms", std::to_string(ms.count())}};
}

std::map<std::string, std::string> watermark_consumer_properties() {
  return {
      // Consumers default to read_committed, which answers -1 with the last stable offset.
      {"isolation.level", "read_uncommitted"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // Never create a topic by asking for it.
      {"allow.auto.create.topics", "false"},
  };
}

std::map<std::string, std::string> offset_fetch_consumer_properties(const std::string& client_id) {
  auto properties = watermark_consumer_properties();
  properties["group.id"] = client_id + ".offset-fetch-never-joins";
  return properties;
}

rd_kafka_type_t native(ClientKind kind) {
  return kind == ClientKind::producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER;
}

Client make_client(const KafkaConfig& config, ClientKind kind,
                   const std::map<std::string, std::string>& extra, std::string name,
                   std::shared_ptr<FailureNote> failure_note) {
  return make_client(config, native(kind), extra, std::move(name), {}, std::move(failure_note));
}

Client make_client(const KafkaConfig& config, rd_kafka_type_t type,
                   const std::map<std::string, std::string>& extra, std::string name,
                   const std::function<void(rd_kafka_conf_t*)>& configure,
                   std::shared_ptr<FailureNote> failure_note) {
  ConfPtr conf = client_configuration(config, extra);
  auto context = std::make_unique<ClientContext>(std::move(name));
  context->set_failure_note(std::move(failure_note));
  attach_context(conf.get(), context.get());
  if (configure) configure(conf.get());

  std::array<char, 512> error{};
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), error.data(), error.size());
  if (!rk) {
    // E.g. a client certificate whose key does not match: say so in words, and count it.
    const FailureCause cause = classify_failure(error.data());
    if (cause != FailureCause::none) count_failure(cause);
    throw KafkaError(ErrorCode::local_invalid_arg,
                     cause == FailureCause::none
                         ? fmt::format("cannot create Kafka client: {}", error.data())
                         : fmt::format("cannot create Kafka client: {} ({}): {}",
                                       cause_words(cause), cause_hint(cause), error.data()));
  }
  (void)conf.release();  // rd_kafka_new took ownership
  return Client(std::move(context), HandlePtr(rk));
}

std::string error_name(rd_kafka_resp_err_t code) {
  return fmt::format("{} ({})", rd_kafka_err2str(code), rd_kafka_err2name(code));
}

int remaining_ms(std::chrono::steady_clock::time_point deadline, int floor) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<long long>(left.count(), floor, std::numeric_limits<int>::max()));
}

}  // namespace ks::kafka
