#include "agent/cli.hpp"

namespace ks {

std::string usage_text() {
  return R"(kafka-sentinel: monitoring agent for Apache Kafka

Usage:
  kafka-sentinel [run] [--config FILE] [--listen HOST:PORT]
                 [--bootstrap-servers HOST:PORT,...] [--log-level LEVEL]
  kafka-sentinel check-config FILE
  kafka-sentinel events [--follow] [--type GLOB] [--json] [--config FILE]
                        [--bootstrap-servers HOST:PORT,...]
  kafka-sentinel --version
  kafka-sentinel --help

Commands:
  run            run the agent (the default). Without --config it runs on built-in
                 defaults: Kafka at localhost:9092, HTTP on 0.0.0.0:9742.
  check-config   validate FILE; exit 0 when valid, 2 when not (one line per problem,
                 naming file, line and key path).
  events         print the health events of the events topic (events.topic), oldest
                 first: time, severity, state, type, subject, summary. --follow keeps
                 printing new ones until interrupted; --type GLOB keeps the types that
                 match ("broker.*", "*.down"); --json prints the raw CloudEvents, one per
                 line.

Options (override the config file):
  --config FILE              YAML configuration (see config/kafka-sentinel.yaml)
  --listen HOST:PORT         HTTP address for /metrics, /healthz, /readyz
  --bootstrap-servers LIST   Kafka bootstrap servers, comma separated
  --log-level LEVEL          trace, debug, info, warn, error, critical, off
)";
}

CliParse parse_cli(const std::vector<std::string>& args) {
  CliParse parse;
  CliOptions& o = parse.options;
  std::size_t i = 0;
  if (i < args.size()) {
    if (args[i] == "run") {
      ++i;
    } else if (args[i] == "check-config") {
      o.command = CliOptions::Command::check_config;
      ++i;
      if (i >= args.size() || args[i].starts_with("-")) {
        parse.error = "check-config needs a FILE";
        return parse;
      }
      o.config_path = args[i++];
    } else if (args[i] == "events") {
      o.command = CliOptions::Command::events;
      ++i;
    }
  }
  auto value_of = [&](const std::string& flag, std::optional<std::string>& into) {
    if (i + 1 >= args.size()) {
      parse.error = flag + " needs a value";
      return false;
    }
    into = args[i + 1];
    i += 2;
    return true;
  };
  while (i < args.size() && parse.error.empty()) {
    const std::string& arg = args[i];
    // --flag=value is accepted as well as --flag value.
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      std::vector<std::string> split{arg.substr(0, eq), arg.substr(eq + 1)};
      std::vector<std::string> rest(args.begin(), args.begin() + static_cast<long>(i));
      rest.insert(rest.end(), split.begin(), split.end());
      rest.insert(rest.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      return parse_cli(rest);
    }
    if (arg == "--help" || arg == "-h") {
      o.command = CliOptions::Command::help;
      return parse;
    } else if (arg == "--version") {
      o.command = CliOptions::Command::version;
      return parse;
    } else if (arg == "--config" || arg == "-c") {
      if (o.command == CliOptions::Command::check_config) {
        parse.error = "check-config takes the FILE as its argument, not --config";
        return parse;
      }
      if (!value_of(arg, o.config_path)) return parse;
    } else if (arg == "--listen") {
      if (!value_of(arg, o.listen)) return parse;
    } else if (arg == "--bootstrap-servers") {
      if (!value_of(arg, o.bootstrap_servers)) return parse;
    } else if (arg == "--log-level") {
      if (!value_of(arg, o.log_level)) return parse;
    } else if (o.command == CliOptions::Command::events &&
               (arg == "--follow" || arg == "-f" || arg == "--json")) {
      o.rest.push_back(arg);  // the events command's own flags
      ++i;
    } else if (o.command == CliOptions::Command::events && arg == "--type") {
      std::optional<std::string> glob;
      if (!value_of(arg, glob)) return parse;
      o.rest.push_back(arg);
      o.rest.push_back(*glob);
    } else {
      parse.error = "unknown argument \"" + arg + "\"";
    }
  }
  return parse;
}

}  // namespace ks
