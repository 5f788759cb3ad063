// Burrow's v3 /v3/kafka paths answered from the agent's snapshots: which body, with which
// HTTP status, for a path. Pure (no I/O), so every path and every unknown name is
// unit-tested; agent/burrow_routes.cpp hands it the requests.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/cluster_snapshot.hpp"
#include "core/groups_snapshot.hpp"
#include "exporters/burrow/burrow_views.hpp"

namespace ks::burrow {

struct Sources {
  std::string cluster;  // the one cluster name Burrow's clients ask for (burrow.cluster)
  ClusterModule module;
  // Null until the collector's first cycle (or while a fleet peer owns it): the lists are
  // then empty and every name is unknown.
  std::shared_ptr<const ClusterSnapshot> cluster_snapshot;
  std::shared_ptr<const GroupsSnapshot> groups;
};

struct Answer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// `path` is the decoded request path, starting with /v3/; `host` is the answering host's
// name (Burrow's request.host).
Answer answer(const Sources& sources, std::string_view path, std::string_view host);

}  // namespace ks::burrow
