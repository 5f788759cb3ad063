// The flags of `lag` and `status` (agent/client_commands.hpp).
#include "agent/client_commands.hpp"

#include <fstream>
#include <map>

namespace ks {
namespace {

// --user, --password-file, --cacert, --cert, --key: true when `arg` is one of them.
bool access_flag(const std::string& arg, ClientCommandOptions& out, std::string*& value) {
  const std::map<std::string, std::string*> flags = {
      {"--user", &out.access.user},         {"--password-file", &out.password_file},
      {"--cacert", &out.access.ca_file},    {"--cert", &out.access.cert_file},
      {"--key", &out.access.key_file}};
  const auto found = flags.find(arg);
  value = found == flags.end() ? nullptr : found->second;
  return value != nullptr;
}

}  // namespace

std::string parse_client_arguments(const std::vector<std::string>& args, bool lag,
                                   ClientCommandOptions& out) {
  bool all = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool has_value = i + 1 < args.size();
    std::string* access_value = nullptr;
    if (access_flag(arg, out, access_value)) {
      if (!has_value || args[i + 1].empty()) return arg + " needs a value";
      *access_value = args[++i];
    } else if (arg == "--password") {
      return "--password is not accepted (a command line is visible to every user of the host): "
             "give --password-file FILE or the " + std::string(kPasswordVariable) + " environment variable";
    } else if (arg == "--json") {
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
  if (out.access.cert_file.empty() != out.access.key_file.empty()) return "--cert and --key go together";
  return "";
}

std::string load_client_password(ClientCommandOptions& options, const char* password_variable) {
  if (!options.password_file.empty()) {
    std::ifstream file(options.password_file);
    if (!file) return "--password-file " + options.password_file + ": cannot be read";
    std::getline(file, options.access.password);  // the first line, without its newline
    if (!options.access.password.empty() && options.access.password.back() == '\r') {
      options.access.password.pop_back();
    }
  } else if (password_variable != nullptr) {
    options.access.password = password_variable;
  }
  const bool has_password = !options.password_file.empty() || password_variable != nullptr;
  if (options.access.user.empty() && !options.password_file.empty()) return "--password-file needs --user";
  if (!options.access.user.empty() && !has_password) {
    return "--user needs a password: --password-file FILE or the " + std::string(kPasswordVariable) +
           " environment variable";
  }
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
