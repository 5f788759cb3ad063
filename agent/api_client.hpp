// A client of a running agent's JSON API, for the `lag` and `status` commands: one GET with
// short timeouts (an operator waits for it), the answer or why there is none.
#pragma once

#include <string>

namespace ks {

struct ApiAnswer {
  bool reached = false;  // false: no HTTP answer at all (see `problem`)
  int status = 0;
  std::string body;
  std::string problem;  // why not reached: "connection refused", "timed out", ...
};

// How to reach an agent whose endpoint has a web config (docs/security-http.md): basic
// auth when `user` is set; for https:// URLs the CAs to trust ("" = the system's) and a
// client certificate when the agent requires one (mutual TLS).
struct ApiAccess {
  std::string user;
  std::string password;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// `base_url`: "http://host:port", "https://host:port" or "host:port"; `target` the path
// and query, already percent-encoded. A 401 is not an answer (`reached` false): `problem`
// says the credentials were missing or rejected; a TLS failure says so too.
ApiAnswer api_get(const std::string& base_url, const std::string& target, const ApiAccess& access = {});

// "host:port" and "http://host:port/" as "http://host:port".
std::string normalize_base_url(const std::string& url);

// Everything but A-Z a-z 0-9 - . _ ~ as %XX: a group name as one path segment.
std::string percent_encode(const std::string& text);

}  // namespace ks
