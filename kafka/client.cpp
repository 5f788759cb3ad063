#include "kafka/client.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <optional>

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
    throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG,
                     fmt::format("{} {}={}: {}", origin, name, value, error.data()));
  }
}

}  // namespace

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
    : name_(std::move(name)), throttle_(kLogWindow, kLogBurst) {}

std::string ClientContext::latest_stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void FailureNote::record(std::string_view text) {
  std::lock_guard lock(mutex_);
  text_.assign(text);
  at_ = std::chrono::steady_clock::now();
}

std::string FailureNote::describe() const {
  std::lock_guard lock(mutex_);
  if (text_.empty()) return {};
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::steady_clock::now() - at_);
  return fmt::format("{} ({} s ago)", text_, age.count());
}

void ClientContext::on_log(int level, const char* facility, const char* message) {
  // librdkafka's errors (level <= 3) are noted whatever the log level: /readyz shows them.
  if (level <= 3 && failure_note_ && message) failure_note_->record(message);
  // A reduced level: librdkafka's errors are the agent's warnings (the agent reports them
  // in its metrics), its warnings are information, everything else is debug detail.
  spdlog::level::level_enum target = spdlog::level::debug;
  if (level <= 3) {
    target = spdlog::level::warn;
  } else if (level == 4) {
    target = spdlog::level::info;
  }
  if (!spdlog::should_log(target)) return;
  const std::string_view text(message ? message : "");
  const std::string_view fac(facility ? facility : "");
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
  if (!notable) {
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
  std::lock_guard lock(mutex_);
  stats_.assign(json);
  stats_count_.fetch_add(1, std::memory_order_relaxed);
}

void Client::poll(std::chrono::milliseconds timeout) const {
  if (handle_) rd_kafka_poll(handle_.get(), static_cast<int>(timeout.count()));
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

Client make_client(const KafkaConfig& config, rd_kafka_type_t type,
                   const std::map<std::string, std::string>& extra, std::string name,
                   const std::function<void(rd_kafka_conf_t*)>& configure,
                   std::shared_ptr<FailureNote> failure_note) {
  ConfPtr conf(rd_kafka_conf_new());
  // Defaults of the agent, before the user's properties so that they can be overridden.
  set_or_throw(conf.get(), "log.connection.close", "false", "default");
  set_or_throw(conf.get(), "socket.keepalive.enable", "true", "default");
  for (const auto& [key, value] : config.properties) {
    set_or_throw(conf.get(), key, value, "kafka.properties:");
  }
  set_or_throw(conf.get(), "bootstrap.servers", config.bootstrap_servers, "kafka.bootstrap_servers:");
  set_or_throw(conf.get(), "client.id", config.client_id, "kafka.client_id:");
  for (const auto& [key, value] : extra) set_or_throw(conf.get(), key, value, "property");

  auto context = std::make_unique<ClientContext>(std::move(name));
  context->set_failure_note(std::move(failure_note));
  rd_kafka_conf_set_opaque(conf.get(), context.get());
  rd_kafka_conf_set_log_cb(conf.get(), log_callback);
  rd_kafka_conf_set_error_cb(conf.get(), error_callback);
  rd_kafka_conf_set_stats_cb(conf.get(), stats_callback);
  if (configure) configure(conf.get());

  std::array<char, 512> error{};
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), error.data(), error.size());
  if (!rk) {
    throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG,
                     fmt::format("cannot create Kafka client: {}", error.data()));
  }
  (void)conf.release();  // rd_kafka_new took ownership
  return Client(std::move(context), HandlePtr(rk));
}

namespace {
std::atomic<bool> g_broker_waits_abandoned{false};
}  // namespace

void abandon_broker_waits(bool abandon) {
  g_broker_waits_abandoned.store(abandon, std::memory_order_release);
}

bool broker_waits_abandoned() { return g_broker_waits_abandoned.load(std::memory_order_acquire); }

std::optional<std::string> wait_for_cluster_id(rd_kafka_t* rk,
                                               std::chrono::steady_clock::time_point deadline,
                                               const std::function<bool()>& give_up) {
  using Clock = std::chrono::steady_clock;
  for (;;) {
    const auto started = Clock::now();
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - started);
    if (remaining <= std::chrono::milliseconds(0)) return std::nullopt;
    const auto wait = std::min(remaining, kBrokerWaitSlice);
    if (char* id = rd_kafka_clusterid(rk, static_cast<int>(wait.count()))) {
      std::string out(id);
      rd_kafka_mem_free(rk, id);
      return out;
    }
    // An early nullptr: metadata came, from a broker too old to send a cluster id.
    if (Clock::now() - started < wait / 2) return std::string();
    if (give_up()) return std::nullopt;
  }
}

MetadataPtr fetch_metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout,
                           rd_kafka_topic_t* only) {
  // rd_kafka_metadata itself cannot be interrupted: while no broker is usable it waits for
  // one up to the whole timeout. So first wait for a broker (interruptibly), then send one
  // request with the rest of the timeout. (Not a request per slice: a request that outlives
  // its timeout in flight makes librdkafka drop the connection.)
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // The cluster id comes with the handle's first metadata (and stays cached), so this waits
  // for a broker only until one has ever answered. Past the deadline the request below fails
  // with librdkafka's own error.
  if (!wait_for_cluster_id(rk, deadline, broker_waits_abandoned) && broker_waits_abandoned()) {
    throw KafkaError(RD_KAFKA_RESP_ERR__TRANSPORT,
                     "metadata request abandoned, the agent is stopping: no broker reachable "
                     "yet (" + error_name(RD_KAFKA_RESP_ERR__TRANSPORT) + ")");
  }
  const auto remaining = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now()),
                                  std::chrono::milliseconds(1));
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, only ? 0 : 1, only, &md, static_cast<int>(remaining.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (md) rd_kafka_metadata_destroy(md);
    throw KafkaError(err, "metadata request failed: " + error_name(err));
  }
  return MetadataPtr(md);
}

std::string error_name(rd_kafka_resp_err_t code) {
  return fmt::format("{} ({})", rd_kafka_err2str(code), rd_kafka_err2name(code));
}

}  // namespace ks::kafka
