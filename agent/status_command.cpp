// `kafka-sentinel status` (agent/client_commands.hpp): the cluster and its brokers, the
// agent's readiness and the firing health conditions, from the agent that answers for the
// cluster (in a fleet, the leader).
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "agent/api_client.hpp"
#include "agent/client_commands.hpp"
#include "agent/text_table.hpp"
#include "core/health_event.hpp"

namespace ks {
namespace {

using json = nlohmann::json;

json json_of(const ApiAnswer& answer) {
  if (!answer.reached) return nullptr;
  json body = json::parse(answer.body, nullptr, false);
  return body.is_discarded() ? json(nullptr) : body;
}

// What makes the answer unhealthy, in words; empty when healthy.
std::vector<std::string> problems(const json& cluster, const json& ready, const json& events) {
  std::vector<std::string> out;
  if (!cluster.value("up", false)) out.push_back("cluster unreachable: " + cluster.value("error", std::string("?")));
  for (const json& b : cluster.value("brokers", json::array())) {
    if (!b.value("up", false)) out.push_back(fmt::format("broker {} down", b.value("id", -1)));
  }
  if (const int n = cluster.value("offline_partitions", 0)) out.push_back(fmt::format("{} offline partitions", n));
  if (const int n = cluster.value("under_min_isr_partitions", 0)) {
    out.push_back(fmt::format("{} partitions under min ISR", n));
  }
  if (ready.is_object() && !ready.value("ready", false)) out.push_back("agent not ready (see /readyz)");
  for (const json& e : events.is_object() ? events.value("firing", json::array()) : json::array()) {
    if (e.value("severity", "") == "critical") out.push_back(e.value("summary", std::string("critical condition")));
  }
  return out;
}

void print_brokers(const json& cluster, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  for (const json& b : cluster.value("brokers", json::array())) {
    rows.push_back({std::to_string(b.value("id", -1)),
                    b.value("host", "") + ":" + std::to_string(b.value("port", 0)),
                    b["rack"].is_string() ? b["rack"].get<std::string>() : "-",
                    b.value("up", false) ? "up" : "DOWN", std::to_string(b.value("partitions", 0)),
                    std::to_string(b.value("leader_partitions", 0))});
  }
  out << render_table({{"BROKER", true}, {"ADDRESS", false, true}, {"RACK", false, true},
                       {"STATUS"}, {"PARTITIONS", true}, {"LEADERS", true}},
                      rows);
}

void print_firing(const json& events, std::ostream& out) {
  if (!events.is_object()) {
    out << "\nhealth events: disabled (events.enabled: false)\n";
    return;
  }
  const json firing = events.value("firing", json::array());
  out << "\nfiring conditions: " << firing.size() << "\n";
  if (firing.empty()) return;
  std::vector<std::vector<std::string>> rows;
  for (const json& e : firing) {
    std::string type = e.value("type", "");
    if (type.starts_with(kEventTypePrefix)) type.erase(0, kEventTypePrefix.size());
    rows.push_back({e.value("severity", ""), type, e.value("since", ""), e.value("summary", "")});
  }
  out << render_table({{"SEVERITY"}, {"TYPE", false, true}, {"SINCE"}, {"SUMMARY", false, true}}, rows);
}

void print_status(const json& cluster, const json& ready, const json& events, std::ostream& out) {
  const std::string controller =
      cluster["controller_id"].is_number() ? std::to_string(cluster["controller_id"].get<int>()) : "-";
  out << fmt::format("cluster {}: {}, controller {}, {}/{} brokers up; snapshot {}s old\n",
                     cluster.value("cluster_id", "").empty() ? "(id unknown)" : cluster.value("cluster_id", ""),
                     cluster.value("up", false) ? "up" : "DOWN",
                     controller, cluster.value("brokers_up", 0), cluster.value("brokers", json::array()).size(),
                     cluster.value("snapshot_age_seconds", 0.0));
  out << fmt::format("partitions: {} in {} topics, {} offline, {} under-replicated, {} under min ISR\n",
                     cluster.value("partitions", 0), cluster.value("topics", 0),
                     cluster.value("offline_partitions", 0), cluster.value("under_replicated_partitions", 0),
                     cluster.value("under_min_isr_partitions", 0));
  out << "agent: " << (!ready.is_object() ? "readiness unknown" : ready.value("ready", false) ? "ready" : "NOT READY")
      << "\n\n";
  print_brokers(cluster, out);
  print_firing(events, out);
}

}  // namespace

int run_status_command(const ClientCommandOptions& options, std::ostream& out, std::ostream& err) {
  for (const std::string& url : options.urls) {
    const ApiAnswer answer = api_get(url, "/api/v1/cluster", options.access);
    const json cluster = json_of(answer);
    if (answer.status != 200 || !cluster.is_object()) {
      err << "kafka-sentinel: " << url << ": "
          << (answer.reached ? (cluster.is_object() ? cluster.value("error", std::string("no cluster"))
                                                    : fmt::format("HTTP {}, not the JSON API", answer.status))
                             : answer.problem)
          << "\n";
      continue;  // in a fleet: the next agent may be the leader
    }
    const ApiAnswer events = api_get(url, "/api/v1/events", options.access);
    const json events_json = events.status == 200 ? json_of(events) : json(nullptr);
    const json ready = json_of(api_get(url, "/readyz", options.access));
    if (options.json) {
      out << json{{"url", url}, {"cluster", cluster}, {"ready", ready}, {"events", events_json}}.dump(2) << "\n";
    } else {
      print_status(cluster, ready, events_json, out);
    }
    const std::vector<std::string> found = problems(cluster, ready, events_json);
    for (const std::string& p : found) err << "unhealthy: " << p << "\n";
    return found.empty() ? 0 : kExitUnhealthy;
  }
  return kExitUnreachable;
}

}  // namespace ks
