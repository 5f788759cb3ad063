// `kafka-sentinel lag` and `kafka-sentinel status`: ask a running agent's JSON API
// (docs/api.md) and print a table (or the API's JSON). No Kafka client, no credentials.
//
// Exit codes, for scripts: 0 healthy; 1 the answer says unhealthy (a group in ERR, a
// broker down, offline partitions, ...) or the group asked for does not exist; 2 bad
// arguments; 3 no agent answered (unreachable, or an answer that is not the API's).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "agent/api_client.hpp"
#include "agent/lag_report.hpp"
#include "core/config.hpp"

namespace ks {

inline constexpr int kExitUnhealthy = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;

struct ClientCommandOptions {
  // Agents to ask, in order; in a fleet give several: each answers for what it owns.
  std::vector<std::string> urls;
  std::optional<std::string> group;  // lag: one group; else every group (--all)
  LagSort sort = LagSort::name;
  bool json = false;
  // A secured agent (web config): --user, --cacert, --cert, --key; the password from
  // --password-file (its first line) or kPasswordVariable, never from the command line.
  ApiAccess access;
  std::string password_file;
};

inline constexpr const char* kPasswordVariable = "KAFKA_SENTINEL_PASSWORD";

// The command's own flags (`lag`: --group G, --all, --sort lag|seconds, --url URL, --json;
// `status`: --url URL, --json; both: --user, --password-file, --cacert, --cert, --key).
// "" when they are good, else what is wrong.
std::string parse_client_arguments(const std::vector<std::string>& args, bool lag,
                                   ClientCommandOptions& out);
// Sets access.password from --password-file, else from `password_variable` (the value of
// kPasswordVariable, nullptr when unset). "" when done, else what is wrong (file unreadable,
// --user without a password, a password without --user).
std::string load_client_password(ClientCommandOptions& options, const char* password_variable);
// http://127.0.0.1:PORT of http.listen (its own host when it names one that is not 0.0.0.0).
std::string default_agent_url(const HttpConfig& http);

int run_lag_command(const ClientCommandOptions& options, std::ostream& out, std::ostream& err);
int run_status_command(const ClientCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace ks
