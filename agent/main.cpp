#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "agent/agent.hpp"
#include "agent/allocator_tuning.hpp"
#include "agent/cli.hpp"
#include "agent/client_commands.hpp"
#include "agent/config/config_loader.hpp"
#include "events/events_command.hpp"
#include "kafka/version.hpp"
#include "ks_revision.hpp"  // generated at build time: KS_REVISION

namespace {

constexpr int kExitConfigError = 2;

int print_problems(const std::vector<ks::config::ConfigProblem>& problems) {
  for (const auto& problem : problems) std::cerr << problem.to_string() << "\n";
  return kExitConfigError;
}

// `lag` and `status`: a client of the agent at --url, by default the one http.listen names.
int run_client_command(const ks::CliOptions& options, const ks::Config& config) {
  const bool lag = options.command == ks::CliOptions::Command::lag;
  ks::ClientCommandOptions client;
  std::string problem = ks::parse_client_arguments(options.rest, lag, client);
  if (problem.empty()) problem = ks::load_client_password(client, std::getenv(ks::kPasswordVariable));
  if (!problem.empty()) {
    std::cerr << "kafka-sentinel: " << problem << "\n\n" << ks::usage_text();
    return ks::kExitUsage;
  }
  if (client.urls.empty()) client.urls.push_back(ks::default_agent_url(config.http));
  // A TLS peer that closed the connection (an agent refusing our missing client
  // certificate) must be an error to report, not a SIGPIPE that ends the command silently.
  std::signal(SIGPIPE, SIG_IGN);
  return lag ? ks::run_lag_command(client, std::cout, std::cerr)
             : ks::run_status_command(client, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  ks::tune_allocator();  // before any thread: see allocator_tuning.hpp
  const std::vector<std::string> args(argv + 1, argv + argc);
  const ks::CliParse parse = ks::parse_cli(args);
  if (!parse.error.empty()) {
    std::cerr << "kafka-sentinel: " << parse.error << "\n\n" << ks::usage_text();
    return kExitConfigError;
  }
  const ks::CliOptions& options = parse.options;
  switch (options.command) {
    case ks::CliOptions::Command::help:
      std::cout << ks::usage_text();
      return 0;
    case ks::CliOptions::Command::version:
      std::cout << "kafka-sentinel " << KS_VERSION << " (revision " << KS_REVISION
                << ", librdkafka " << ks::kafka::library_version() << ")\n";
      return 0;
    case ks::CliOptions::Command::check_config: {
      const auto loaded = ks::config::load_config_file(*options.config_path);
      if (!loaded.ok()) return print_problems(loaded.problems);
      std::cout << *options.config_path << ": ok\n";
      return 0;
    }
    case ks::CliOptions::Command::run:
    case ks::CliOptions::Command::events:
    case ks::CliOptions::Command::lag:
    case ks::CliOptions::Command::status:
      break;
  }

  auto loaded = options.config_path ? ks::config::load_config_file(*options.config_path)
                                    : ks::config::default_config();
  const auto override_problems = ks::config::apply_overrides(
      loaded.config,
      {options.listen, options.bootstrap_servers, options.log_level, options.web_config_file});
  loaded.problems.insert(loaded.problems.end(), override_problems.begin(),
                         override_problems.end());
  if (!loaded.ok()) return print_problems(loaded.problems);
  if (options.command == ks::CliOptions::Command::events) {
    ks::events::EventsCommandOptions events;
    if (const std::string problem = ks::events::parse_events_arguments(options.rest, events);
        !problem.empty()) {
      std::cerr << "kafka-sentinel: " << problem << "\n\n" << ks::usage_text();
      return kExitConfigError;
    }
    return ks::events::run_events_command(loaded.config, events, std::cout, std::cerr);
  }
  if (options.command == ks::CliOptions::Command::lag ||
      options.command == ks::CliOptions::Command::status) {
    return run_client_command(options, loaded.config);
  }
  return ks::run_agent(loaded.config);
}
