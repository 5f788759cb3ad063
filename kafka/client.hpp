// Kafka client handles shared by the collectors: created once from the agent's KafkaConfig
// and reused every cycle (a handle per cycle is slow and leaks sockets), with librdkafka's
// logs routed into spdlog at a reduced, rate-limited level and its errors counted.
// Plain C++ types only: the raw librdkafka handle is reached through kafka/detail/native.hpp,
// which only the Kafka layer's own .cpp files include.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/collector.hpp"
#include "core/config.hpp"
#include "kafka/errors.hpp"
#include "kafka/failure_cause.hpp"

// librdkafka's handle type, opaque here (librdkafka declares rd_kafka_t as this struct).
struct rd_kafka_s;

namespace ks::kafka {

// A Kafka call that failed as a whole (not one partition of it).
struct KafkaError : CollectError {
  KafkaError(ErrorCode code, const std::string& what) : CollectError(what), code(code) {}
  // A librdkafka code as it is (ErrorCode has librdkafka's numbering).
  KafkaError(int raw_code, const std::string& what) : KafkaError(error_code(raw_code), what) {}
  ErrorCode code;
};

// A wait of the Kafka layer cut short because its stop token was requested (the agent is
// stopping): the call's result is incomplete and must not be published.
struct StopRequested : KafkaError {
  explicit StopRequested(const std::string& what)
      : KafkaError(ErrorCode::local_interrupted, what) {}
};

// At most `burst` lines per key per `window`; the rest are counted and reported with the
// next line that is let through. Keeps a down broker (which librdkafka reports on every
// reconnect attempt) from writing a log line per second.
class LogThrottle {
 public:
  LogThrottle(std::chrono::steady_clock::duration window, int burst)
      : window_(window), burst_(burst) {}

  // True when a line with this key may be written now; `suppressed` is then the number of
  // lines of this key dropped since the last one written.
  bool allow(std::string_view key, std::chrono::steady_clock::time_point now,
             std::uint64_t& suppressed);

 private:
  struct State {
    std::chrono::steady_clock::time_point window_start;
    int written = 0;
    std::uint64_t suppressed = 0;
  };
  std::chrono::steady_clock::duration window_;
  int burst_;
  std::unordered_map<std::string, State> keys_;
};

// The latest failure librdkafka logged for a handle (a broker refusing connections, a name
// that does not resolve, an authentication failure): what a cycle that has not finished yet
// is waiting on, or why the last one failed, for /readyz. Written by librdkafka's threads,
// read by the HTTP server's. A failure that persists is logged again at every reconnect
// (at most reconnect.backoff.max.ms apart, 10 s by default): one not seen for kFresh is
// over, and no longer described.
class FailureNote {
 public:
  static constexpr std::chrono::seconds kFresh{60};

  void record(std::string_view text, FailureCause cause);
  // "" when nothing fresh was recorded, else its cause in words when known, the text and how
  // long ago, e.g. "connection refused (nothing listens at that address): 127.0.0.1:1/bootstrap:
  // Connect to ipv4#127.0.0.1:1 failed: Connection refused (2 s ago)".
  std::string describe() const;
  // The cause of the fresh failure; none when there is none or it has no known cause.
  FailureCause cause() const;

 private:
  bool fresh(std::chrono::steady_clock::time_point now) const;

  mutable std::mutex mutex_;
  std::string text_;
  FailureCause cause_ = FailureCause::none;
  std::chrono::steady_clock::time_point at_;
};

// The opaque of a handle: log policy, error counters and the latest statistics. Callbacks
// come from librdkafka's threads (log) and from poll() (error, statistics).
class ClientContext {
 public:
  explicit ClientContext(std::string name);
  ~ClientContext();  // forgets this instance in process_statistics() (its totals stay)
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  const std::string& name() const { return name_; }
  // Errors reported by librdkafka's error callback (connection failures, all brokers down,
  // ...) since the handle was created.
  std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  // The last statistics JSON (only with statistics.interval.ms > 0; delivered by poll()).
  std::string latest_stats() const;
  std::uint64_t stats_count() const { return stats_count_.load(std::memory_order_relaxed); }

  void on_log(int level, const char* facility, const char* message);
  void on_error(int code, const char* reason);
  // Keeps the JSON, and records what it says of each broker in process_statistics()
  // (kafka/client_statistics.hpp); a malformed document is counted and logged, not recorded.
  void on_stats(std::string_view json);

  // Whatever the handle's owner needs in callbacks this context is the opaque of (the fleet
  // coordinator's rebalance callback). Set before the first poll.
  void set_user(void* user) { user_.store(user, std::memory_order_release); }
  // Where librdkafka's failures are noted (optional; set before the handle exists).
  void set_failure_note(std::shared_ptr<FailureNote> note) { failure_note_ = std::move(note); }
  void* user() const { return user_.load(std::memory_order_acquire); }
  // Held by Client::poll: a client shared by collectors on several threads (kafka/
  // shared_client.hpp) has its statistics served one document at a time, in order (a
  // document recorded after a newer one would read as a counter restart).
  std::mutex& poll_mutex() const { return poll_mutex_; }

 private:
  // Whether a line about a security failure of `cause` is written now: once per change of
  // cause (a wrong password is one line, not one per reconnect).
  bool log_cause_change(FailureCause cause);

  std::string name_;
  std::uint64_t instance_;  // this handle among every client the process made
  std::shared_ptr<FailureNote> failure_note_;
  FailureCause logged_cause_ = FailureCause::none;  // guarded by mutex_
  std::atomic<void*> user_{nullptr};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> stats_count_{0};
  mutable std::mutex poll_mutex_;
  mutable std::mutex mutex_;  // guards throttle_ and stats_
  LogThrottle throttle_;
  std::string stats_;
};

enum class ClientKind { producer, consumer };

// Destroys a librdkafka handle (rd_kafka_destroy; defined in kafka/client.cpp).
struct HandleDeleter {
  void operator()(rd_kafka_s* rk) const;
};
using HandlePtr = std::unique_ptr<rd_kafka_s, HandleDeleter>;

// A librdkafka handle with its context. Move-only; the handle is destroyed before the
// context it points to.
class Client {
 public:
  Client() = default;
  Client(std::unique_ptr<ClientContext> context, HandlePtr handle)
      : context_(std::move(context)), handle_(std::move(handle)) {}

  explicit operator bool() const { return static_cast<bool>(handle_); }
  ClientContext& context() const { return *context_; }
  // Serves the callbacks librdkafka delivers only from rd_kafka_poll (error, statistics);
  // returns how many events were served.
  int poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) const;

  // The raw handle, for the Kafka layer's own code only (kafka/detail/native.hpp).
  friend rd_kafka_s* native(const Client& client);

 private:
  std::unique_ptr<ClientContext> context_;  // declared first: destroyed after handle_
  HandlePtr handle_;
};

// A handle of `kind` configured by client_configuration (kafka/client.cpp): the agent's
// defaults, kafka.properties (security included), kafka.bootstrap_servers,
// kafka.client_id, then `extra` (which wins: the caller's needs, such as isolation.level
// for watermarks). Every client the agent makes is configured there and only there.
// Throws KafkaError naming a property librdkafka refuses. A consumer made here has no
// group.id unless `extra` sets one, and never subscribes: it is only for metadata,
// watermarks and admin calls.
Client make_client(const KafkaConfig& config, ClientKind kind,
                   const std::map<std::string, std::string>& extra = {},
                   std::string name = "kafka",
                   std::shared_ptr<FailureNote> failure_note = nullptr);

// statistics.interval.ms from kafka.statistics_interval (empty when 0: statistics off), for
// the clients whose owner serves their main queue (poll): librdkafka queues statistics there,
// and a client never polled would pile them up.
std::map<std::string, std::string> statistics_properties(const KafkaConfig& config);

// Properties for a consumer handle that reads watermarks: high watermark, not the last
// stable offset.
std::map<std::string, std::string> watermark_consumer_properties();

// Properties for a consumer handle that issues ListConsumerGroupOffsets. librdkafka 2.0.2
// answers an OffsetFetch error that asks for a coordinator refresh (NOT_COORDINATOR,
// COORDINATOR_NOT_AVAILABLE: every time a group's coordinator moves, e.g. when a broker
// stops) by posting an op to the handle's own consumer group, which a handle without
// group.id does not have: a NULL dereference on librdkafka's main thread (the crash of
// confluent-kafka-javascript#374). A group.id gives the handle that group object. The
// handle never subscribes or commits, so this group never joins, holds no offsets and
// never shows up in ListGroups; at most its coordinator is looked up.
std::map<std::string, std::string> offset_fetch_consumer_properties(const std::string& client_id);

}  // namespace ks::kafka
