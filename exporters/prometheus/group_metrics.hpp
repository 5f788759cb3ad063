// Prometheus families of the consumer-groups snapshot: the kafka_consumergroup_* families
// (group_families.hpp: kafka_exporter's names, our additions, the operator's choice among
// them) and the collector's own kafka_sentinel_groups_* figures. Every family is listed in
// docs/metrics.md ("Consumer groups").
#pragma once

#include "core/groups_snapshot.hpp"
#include "exporters/prometheus/exposition_writer.hpp"
#include "exporters/prometheus/group_families.hpp"

namespace ks::prom {

// `families`: which kafka_consumergroup_* families to write (default: all, per partition).
void render_groups(const GroupsSnapshot& snapshot, ExpositionWriter& out,
                   const GroupFamilySelection& families = {});

}  // namespace ks::prom
