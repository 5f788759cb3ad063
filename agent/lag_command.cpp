// `kafka-sentinel lag` (agent/client_commands.hpp).
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "agent/api_client.hpp"
#include "agent/client_commands.hpp"

namespace ks {
namespace {

using json = nlohmann::json;

// The answer's JSON, or null when it is not JSON (not the agent's API), said on `err`.
json parsed(const std::string& url, const ApiAnswer& answer, std::ostream& err) {
  if (!answer.reached) {
    err << "kafka-sentinel: " << url << ": " << answer.problem << "\n";
    return nullptr;
  }
  json body = json::parse(answer.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    err << "kafka-sentinel: " << url << ": HTTP " << answer.status
        << ", not an answer of the JSON API\n";
    return nullptr;
  }
  return body;
}

// Prints the groups' rows (or `shown` as JSON); unhealthy when a group is in ERR.
int print_lag(const ClientCommandOptions& options, const json& groups, const json& shown,
              std::ostream& out, std::ostream& err) {
  std::vector<LagRow> rows;
  std::vector<std::string> in_error;
  for (const json& g : groups) {
    append_lag_rows(g, rows);
    if (g.value("status", "") == "ERR") in_error.push_back(g.value("group", ""));
  }
  if (options.json) {
    out << shown.dump(2) << "\n";
  } else {
    sort_lag_rows(rows, options.sort);
    out << render_lag_table(rows);
    err << fmt::format("{} groups, {} partitions; snapshot {}s old\n", groups.size(), rows.size(),
                       shown.value("snapshot_age_seconds", 0.0));
  }
  if (in_error.empty()) return 0;
  err << "unhealthy: " << in_error.size() << " group(s) in ERR: " << fmt::format("{}", fmt::join(in_error, ", "))
      << "\n";
  return kExitUnhealthy;
}

// What asking one agent for the group gave: printed (its exit code), not found there, or
// the owner's URL it pointed at ("" when it did not give one).
struct GroupAsked {
  std::optional<int> printed;
  bool not_found = false;
  std::string owner_url;
};

GroupAsked ask_for_group(const ClientCommandOptions& options, const std::string& url, std::ostream& out,
                         std::ostream& err) {
  GroupAsked asked;
  const json body = parsed(url, api_get(url, "/api/v1/groups/" + percent_encode(*options.group), options.access), err);
  if (body.is_null()) return asked;
  if (body.contains("group") && !body.contains("error")) {
    asked.printed = print_lag(options, json::array({body}), body, out, err);
    return asked;
  }
  const std::string problem = body.value("error", "no answer");
  if (body.value("owned_here", true)) {
    err << "kafka-sentinel: " << url << ": " << problem << "\n";
    asked.not_found = body.value("status", 0) == 404;
    return asked;
  }
  const json owner = body.value("owner", json());
  if (owner.is_object() && owner.value("url", json()).is_string()) asked.owner_url = owner["url"];
  err << "kafka-sentinel: " << url << ": " << problem << " (fleet shard " << body.value("fleet_shard", -1)
      << (owner.is_object() ? ", owned by agent " + owner.value("node", "?") + " at " + owner.value("host", "?")
                            : std::string())
      << (asked.owner_url.empty() ? "" : ", " + asked.owner_url) << ")\n";
  return asked;
}

// One group: from the first agent that answers for it (in a fleet, the owner of its shard).
// An agent's pointer to the owner's URL is followed once (one hop), unless that URL is
// among those given anyway.
int lag_of_group(const ClientCommandOptions& options, std::ostream& out, std::ostream& err) {
  bool not_found = false;
  bool followed = false;
  for (const std::string& url : options.urls) {
    GroupAsked asked = ask_for_group(options, url, out, err);
    const bool given = std::find(options.urls.begin(), options.urls.end(), asked.owner_url) != options.urls.end();
    if (!asked.printed && !asked.owner_url.empty() && !followed && !given) {
      followed = true;
      err << "kafka-sentinel: following to " << asked.owner_url << "\n";
      asked = ask_for_group(options, asked.owner_url, out, err);
    }
    if (asked.printed) return *asked.printed;
    not_found = not_found || asked.not_found;
  }
  if (!not_found) err << "kafka-sentinel: no agent answered for group '" << *options.group << "'; give its owner's --url\n";
  return not_found ? kExitUnhealthy : kExitUnreachable;
}

// Every group of every agent asked (in a fleet each answers for its own shards).
int lag_of_all(const ClientCommandOptions& options, std::ostream& out, std::ostream& err) {
  json groups = json::array();
  json first;
  bool failed = false;
  for (const std::string& url : options.urls) {
    const json body = parsed(url, api_get(url, "/api/v1/groups?partitions=true", options.access), err);
    if (body.is_null() || !body.contains("groups")) {
      if (!body.is_null()) err << "kafka-sentinel: " << url << ": " << body.value("error", "no groups") << "\n";
      failed = true;
      continue;
    }
    if (first.is_null()) first = body;
    for (const json& g : body["groups"]) groups.push_back(g);
  }
  if (first.is_null()) return kExitUnreachable;
  const json shown = options.urls.size() == 1
                         ? first
                         : json{{"snapshot_age_seconds", first.value("snapshot_age_seconds", 0.0)},
                                {"groups", groups}};
  const int code = print_lag(options, groups, shown, out, err);
  return failed ? kExitUnreachable : code;
}

}  // namespace

int run_lag_command(const ClientCommandOptions& options, std::ostream& out, std::ostream& err) {
  return options.group ? lag_of_group(options, out, err) : lag_of_all(options, out, err);
}

}  // namespace ks
