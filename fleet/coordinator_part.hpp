// The fleet coordinator as one of the agent's parts (core/lifecycle.hpp). The coordinator's
// thread polls its consumer on its stop token, so request_stop() drops every role at once
// and starts leaving the group: the agent asks this first, so that the other agents take
// over while this one winds down.
#pragma once

#include "core/config.hpp"
#include "core/lifecycle.hpp"
#include "fleet/coordinator.hpp"

namespace ks::fleet {

class CoordinatorPart final : public Part {
 public:
  // Both must outlive the part.
  CoordinatorPart(Coordinator& coordinator, const FleetConfig& config)
      : coordinator_(coordinator), config_(config) {}

  std::string_view name() const override { return "fleet"; }
  void validate() const override;
  void start() override { coordinator_.start(); }
  void request_stop() override { coordinator_.request_stop(); }
  // Joins the coordinator's thread, which closes its consumer (leaving the group) within
  // about a poll interval; not cut short at the deadline, only reported.
  bool stop(Deadline deadline) override;

 private:
  Coordinator& coordinator_;
  const FleetConfig& config_;
};

}  // namespace ks::fleet
