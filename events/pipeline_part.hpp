// The health-events pipeline as one of the agent's parts (core/lifecycle.hpp). Made
// without I/O; start() opens and recovers the spool, restores the transition detector and
// starts the producer (events/pipeline.hpp), so a spool that cannot be opened fails the
// agent's startup. The parts that notify it (the collectors' scheduler, the fleet) start
// after it and stop before it.
#pragma once

#include <memory>

#include "core/config.hpp"
#include "core/lifecycle.hpp"
#include "core/snapshots.hpp"
#include "events/pipeline.hpp"

namespace ks::events {

class PipelinePart final : public Part {
 public:
  // `config`, `snapshots` and `registry` must outlive the part. `roles`: fleet mode only.
  PipelinePart(const Config& config, Snapshots& snapshots, prometheus::Registry& registry,
               EventsPipeline::StatusSource statuses, EventsPipeline::RoleSource roles = {});
  ~PipelinePart() override;

  std::string_view name() const override { return "events"; }
  void validate() const override;
  void start() override;
  void request_stop() override;
  // Waits for the evaluator and the producer's delivery thread (a round in flight ends
  // within a few seconds); not cut short at the deadline, only reported.
  bool stop(Deadline deadline) override;

  // A collector finished a cycle: evaluate soon. Called from other parts' threads, which
  // start after this part: nothing before start().
  void notify();

 private:
  const Config& config_;
  Snapshots& snapshots_;
  prometheus::Registry& registry_;
  EventsPipeline::StatusSource statuses_;
  EventsPipeline::RoleSource roles_;
  std::unique_ptr<EventsPipeline> pipeline_;  // set by start(), kept until destruction
};

}  // namespace ks::events
