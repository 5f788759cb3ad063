// The latest snapshot of every built-in collector: written by the collectors, read by the
// renderers, the events pipeline and the HTTP handlers (never waiting on a collector).
#pragma once

#include "core/cluster_snapshot.hpp"
#include "core/groups_snapshot.hpp"
#include "core/health_events_snapshot.hpp"
#include "core/host_snapshot.hpp"
#include "core/latest.hpp"
#include "core/probe_snapshot.hpp"
#include "core/watermark_round.hpp"

namespace ks {

struct Snapshots {
  Latest<HostSnapshot> host;
  Latest<ClusterSnapshot> cluster;
  Latest<GroupsSnapshot> groups;
  Latest<ProbeSnapshot> probe;
  // Written by the events pipeline (when events.enabled), not by a collector.
  Latest<HealthEventsSnapshot> health;
  // The groups collector's last complete watermark round, which the brokers collector
  // reuses while recent (core/watermark_round.hpp). Not rendered.
  Latest<WatermarkRound> watermarks;
};

}  // namespace ks
