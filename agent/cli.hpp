// Command line: `kafka-sentinel [run] [--config FILE] [overrides]`,
// `kafka-sentinel check-config FILE`, `kafka-sentinel events [--follow] [--type GLOB]
// [--json] [--config FILE] [--bootstrap-servers LIST]`, `kafka-sentinel lag|status [...]`
// (agent/client_commands.hpp), `--version`, `--help`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ks {

struct CliOptions {
  enum class Command { run, check_config, version, help, events, lag, status };
  Command command = Command::run;
  std::optional<std::string> config_path;
  std::optional<std::string> listen;
  std::optional<std::string> bootstrap_servers;
  std::optional<std::string> log_level;
  std::optional<std::string> web_config_file;
  std::vector<std::string> rest;  // arguments left for a subcommand (`events`, `lag`, `status`)
};

struct CliParse {
  CliOptions options;
  std::string error;  // non-empty: usage error, exit 2
};

CliParse parse_cli(const std::vector<std::string>& args);
std::string usage_text();

}  // namespace ks
