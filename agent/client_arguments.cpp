// The flags of `lag` and `status` (agent/client_commands.hpp).
#include "agent/client_commands.hpp"

namespace ks {

std::string parse_client_arguments(const std::vector<std::string>& args, bool lag,
                                   ClientCommandOptions& out) {
  bool all = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool has_value = i + 1 < args.size();
    if (arg == "--json") {
      out.json = true;
    } else if (arg == "--url") {
      if (!has_value) return "--url needs a value";
      out.urls.push_back(args[++i]);
    } else if (lag && arg == "--all") {
      all = true;
    } else if (lag && arg == "--group") {
      if (!has_value || args[i + 1].empty()) return "--group needs a group name";
      out.group = args[++i];
    } else if (lag && arg == "--sort") {
      if (!has_value) return "--sort needs a value: lag or seconds";
      const std::string& by = args[++i];
      if (by != "lag" && by != "seconds") return "--sort must be lag or seconds, got \"" + by + "\"";
      out.sort = by == "lag" ? LagSort::lag : LagSort::seconds;
    } else {
      return "unknown argument \"" + arg + "\"";
    }
  }
  if (all && out.group) return "--group and --all exclude each other";
  return "";
}

std::string default_agent_url(const HttpConfig& http) {
  const bool any = http.listen_host.empty() || http.listen_host == "0.0.0.0" ||
                   http.listen_host == "::" || http.listen_host == "[::]";
  const std::string host = any ? "127.0.0.1" : http.listen_host;
  const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(http.listen_port);
}

}  // namespace ks
