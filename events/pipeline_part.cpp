#include "events/pipeline_part.hpp"

#include <string>

namespace ks::events {

PipelinePart::PipelinePart(const Config& config, Snapshots& snapshots,
                           prometheus::Registry& registry, EventsPipeline::StatusSource statuses,
                           EventsPipeline::RoleSource roles)
    : config_(config),
      snapshots_(snapshots),
      registry_(registry),
      statuses_(std::move(statuses)),
      roles_(std::move(roles)) {}

PipelinePart::~PipelinePart() { stop(Deadline::max()); }

void PipelinePart::validate() const {
  const EventsConfig& events = config_.events;
  if (events.topic.empty()) throw PartConfigError("events.topic", "must not be empty");
  if (events.spool_dir.empty()) throw PartConfigError("events.spool.dir", "must not be empty");
  if (events.spool_max_bytes <= 0) {
    throw PartConfigError("events.spool.max_bytes",
                          "must be positive, got " + std::to_string(events.spool_max_bytes));
  }
  if (events.spool_max_events <= 0) {
    throw PartConfigError("events.spool.max_events",
                          "must be positive, got " + std::to_string(events.spool_max_events));
  }
}

void PipelinePart::start() {
  auto pipeline = std::make_unique<EventsPipeline>(config_, snapshots_, registry_);
  pipeline->start(statuses_, roles_);
  pipeline_ = std::move(pipeline);
}

void PipelinePart::request_stop() {
  if (pipeline_) pipeline_->request_stop();
}

bool PipelinePart::stop(Deadline deadline) {
  if (pipeline_) pipeline_->stop();
  return std::chrono::steady_clock::now() <= deadline;
}

void PipelinePart::notify() {
  if (pipeline_) pipeline_->notify();
}

}  // namespace ks::events
