#include "kafka/detail/conversions.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <map>

#include "kafka/client.hpp"

namespace ks::kafka {

std::string describe(std::span<const TopicPartition> partitions, bool with_offsets) {
  std::map<std::string, std::vector<std::string>> by_topic;
  for (const TopicPartition& p : partitions) {
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

namespace detail {
namespace {

void detail_log(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  const auto* context = static_cast<const ClientContext*>(rd_kafka_opaque(rk));
  spdlog::log(level <= 3 ? spdlog::level::debug : spdlog::level::trace, "librdkafka [{}] {}: {}",
              context ? context->name() : "kafka", facility ? facility : "",
              message ? message : "");
}

// A fatal error (an idempotent producer's broken guarantee) ends the client: worth an error
// line of its own; the rest is detail its owner reports in its own words.
void detail_error(rd_kafka_t* rk, int code, const char* reason, void* opaque) {
  const auto* context = static_cast<const ClientContext*>(opaque);
  const std::string name = context ? context->name() : "kafka";
  const auto err = static_cast<rd_kafka_resp_err_t>(code);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    std::array<char, 512> text{};
    const auto fatal = rd_kafka_fatal_error(rk, text.data(), text.size());
    spdlog::error("{}: fatal error {}: {}", name, rd_kafka_err2name(fatal), text.data());
    return;
  }
  spdlog::debug("{}: {}: {}", name, rd_kafka_err2name(err), reason ? reason : "");
}

void silent_log(const rd_kafka_t*, int, const char*, const char*) {}
void silent_error(rd_kafka_t*, int, const char*, void*) {}

}  // namespace

std::vector<TopicPartition> to_partitions(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (!list) return out;
  out.reserve(static_cast<std::size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    TopicPartition p{e.topic, e.partition, e.offset, {}, code(e.err)};
    if (e.metadata && e.metadata_size > 0) {
      p.metadata.assign(static_cast<const char*>(e.metadata), e.metadata_size);
    }
    out.push_back(std::move(p));
  }
  return out;
}

PartitionListPtr to_list(const std::vector<TopicPartition>& partitions) {
  PartitionListPtr list = new_partition_list(static_cast<int>(partitions.size()));
  for (const TopicPartition& p : partitions) {
    auto* e = rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition);
    e->offset = p.offset;
    if (!p.metadata.empty()) {
      // librdkafka frees the element's metadata with the list: give it a copy of its own.
      e->metadata = rd_kafka_mem_malloc(nullptr, p.metadata.size());
      std::copy(p.metadata.begin(), p.metadata.end(), static_cast<char*>(e->metadata));
      e->metadata_size = p.metadata.size();
    }
  }
  return list;
}

std::function<void(rd_kafka_conf_t*)> log_policy(LibraryLogs logs) {
  switch (logs) {
    case LibraryLogs::agent:
      return {};
    case LibraryLogs::detail:
      return [](rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_log_cb(conf, detail_log);
        rd_kafka_conf_set_error_cb(conf, detail_error);
      };
    case LibraryLogs::silent:
      return [](rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_log_cb(conf, silent_log);
        rd_kafka_conf_set_error_cb(conf, silent_error);
      };
  }
  return {};
}

}  // namespace detail
}  // namespace ks::kafka
