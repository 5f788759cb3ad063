#include "agent/cli.hpp"

#include <set>

namespace ks {

std::string usage_text() {
  return R"(kafka-sentinel: monitoring agent for Apache Kafka

Usage:
  kafka-sentinel [run] [--config FILE] [--listen HOST:PORT]
                 [--bootstrap-servers HOST:PORT,...] [--log-level LEVEL]
                 [--web.config.file FILE]
  kafka-sentinel check-config FILE
  kafka-sentinel events [--follow] [--type GLOB] [--json] [--config FILE]
                        [--bootstrap-servers HOST:PORT,...]
  kafka-sentinel lag [--group G | --all] [--sort lag|seconds] [--json] [--url URL]...
                     [--config FILE] [ACCESS]
  kafka-sentinel status [--json] [--url URL]... [--config FILE] [ACCESS]
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
  lag            ask a running agent for its consumer groups' lag: group, topic,
                 partition, current offset, log end offset, lag, lag in seconds, status,
                 catch-up time (--all, the default: every group). --sort lag|seconds puts
                 the highest first; --json prints the API's JSON. --url (default: from
                 http.listen, http://127.0.0.1:9742) may be given once per agent of a
                 fleet. Exit 0 healthy, 1 a group in ERR or not found, 3 no agent answered.
  status         the cluster, its brokers and the firing health conditions from a running
                 agent. Exit 0 healthy, 1 unhealthy (a broker down, offline partitions,
                 the agent not ready, a critical condition), 3 no agent answered.
                 ACCESS, for an agent with a web config (TLS, basic auth): https:// URLs;
                 --user USER with the password in --password-file FILE (its first line)
                 or in KAFKA_SENTINEL_PASSWORD (never on the command line); --cacert FILE
                 (the CA of the agent's certificate); --cert FILE --key FILE (a client
                 certificate, when the agent requires one). Rejected credentials or a
                 failed TLS handshake are said as such and exit 3.

Options (override the config file):
  --config FILE              YAML configuration (see config/kafka-sentinel.yaml)
  --listen HOST:PORT         HTTP address for /metrics, /healthz, /readyz
  --bootstrap-servers LIST   Kafka bootstrap servers, comma separated
  --log-level LEVEL          trace, debug, info, warn, error, critical, off
  --web.config.file FILE     TLS and basic authentication of the HTTP endpoint, in
                             Prometheus exporters' web config format (http.web_config_file)
)";
}

namespace {

// The subcommand, if the first argument names one; returns the index of the next argument,
// or sets parse.error.
std::size_t parse_command(const std::vector<std::string>& args, CliParse& parse) {
  CliOptions& o = parse.options;
  if (args.empty()) return 0;
  if (args[0] == "run") return 1;
  if (args[0] == "events") {
    o.command = CliOptions::Command::events;
    return 1;
  }
  if (args[0] == "lag" || args[0] == "status") {
    o.command = args[0] == "lag" ? CliOptions::Command::lag : CliOptions::Command::status;
    return 1;
  }
  if (args[0] != "check-config") return 0;
  o.command = CliOptions::Command::check_config;
  if (args.size() < 2 || args[1].starts_with("-")) {
    parse.error = "check-config needs a FILE";
    return args.size();
  }
  o.config_path = args[1];
  return 2;
}

// "--flag=value" as "--flag" "value": the whole list again, with that one argument split.
std::vector<std::string> split_flag_value(const std::vector<std::string>& args, std::size_t i,
                                          std::size_t eq) {
  const std::string& arg = args[i];
  std::vector<std::string> out(args.begin(), args.begin() + static_cast<long>(i));
  out.push_back(arg.substr(0, eq));
  out.push_back(arg.substr(eq + 1));
  out.insert(out.end(), args.begin() + static_cast<long>(i) + 1, args.end());
  return out;
}

// Walks the options after the subcommand; one call per argument (and its value).
class OptionParser {
 public:
  OptionParser(const std::vector<std::string>& args, std::size_t i, CliParse& parse)
      : args_(args), i_(i), parse_(parse), o_(parse.options) {}

  bool done() const { return i_ >= args_.size() || !parse_.error.empty(); }
  std::size_t index() const { return i_; }

  // False when parsing ends here (help, version, or an error).
  bool next() {
    const std::string& arg = args_[i_];
    if (arg == "--help" || arg == "-h") return finish(CliOptions::Command::help);
    if (arg == "--version") return finish(CliOptions::Command::version);
    if (arg == "--config" || arg == "-c") return config_flag(arg);
    if (arg == "--listen") return value_of(arg, o_.listen);
    if (arg == "--bootstrap-servers") return value_of(arg, o_.bootstrap_servers);
    if (arg == "--log-level") return value_of(arg, o_.log_level);
    if (arg == "--web.config.file") return value_of(arg, o_.web_config_file);
    if (o_.command == CliOptions::Command::events) return events_flag(arg);
    if (o_.command == CliOptions::Command::lag || o_.command == CliOptions::Command::status) {
      return client_flag(arg);
    }
    return unknown(arg);
  }

 private:
  bool finish(CliOptions::Command command) {
    o_.command = command;
    return false;
  }
  bool value_of(const std::string& flag, std::optional<std::string>& into) {
    if (i_ + 1 >= args_.size()) {
      parse_.error = flag + " needs a value";
      return false;
    }
    into = args_[i_ + 1];
    i_ += 2;
    return true;
  }
  bool config_flag(const std::string& arg) {
    if (o_.command == CliOptions::Command::check_config) {
      parse_.error = "check-config takes the FILE as its argument, not --config";
      return false;
    }
    return value_of(arg, o_.config_path);
  }
  // The events command's own flags pass through in `rest`.
  bool events_flag(const std::string& arg) {
    if (arg == "--follow" || arg == "-f" || arg == "--json") {
      o_.rest.push_back(arg);
      ++i_;
      return true;
    }
    if (arg != "--type") return unknown(arg);
    std::optional<std::string> glob;
    if (!value_of(arg, glob)) return false;
    o_.rest.push_back(arg);
    o_.rest.push_back(*glob);
    return true;
  }
  // `lag` and `status` check their own flags (agent/client_commands.hpp); a flag's value
  // is the next argument, kept with it.
  bool client_flag(const std::string& arg) {
    static const std::set<std::string> with_value = {"--url",  "--group", "--sort", "--user",
                                                     "--password-file", "--cacert", "--cert", "--key"};
    if (!arg.starts_with("--")) return unknown(arg);
    o_.rest.push_back(arg);
    ++i_;
    if (with_value.contains(arg) && i_ < args_.size()) o_.rest.push_back(args_[i_++]);
    return true;
  }
  bool unknown(const std::string& arg) {
    parse_.error = "unknown argument \"" + arg + "\"";
    return false;
  }

  const std::vector<std::string>& args_;
  std::size_t i_;
  CliParse& parse_;
  CliOptions& o_;
};

}  // namespace

CliParse parse_cli(const std::vector<std::string>& args) {
  CliParse parse;
  OptionParser options(args, parse_command(args, parse), parse);
  while (!options.done()) {
    const std::string& arg = args[options.index()];
    // --flag=value is accepted as well as --flag value.
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      return parse_cli(split_flag_value(args, options.index(), eq));
    }
    if (!options.next()) break;
  }
  return parse;
}

}  // namespace ks
