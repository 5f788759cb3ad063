// Prometheus families of the consumer-groups snapshot. kafka_exporter's families keep its
// exact names, labels and meaning (its dashboards and alert rules work on our output);
// the new ones (state, lag in seconds, expired messages, Burrow status, rates) follow the
// same style. Every family is listed in docs/metrics.md ("Consumer groups").
#pragma once

#include "core/groups_snapshot.hpp"
#include "exporters/prometheus/exposition_writer.hpp"

namespace ks::prom {

void render_groups(const GroupsSnapshot& snapshot, ExpositionWriter& out);

}  // namespace ks::prom
