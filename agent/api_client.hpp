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

// `base_url`: "http://host:port", "https://host:port" or "host:port"; `target` the path
// and query, already percent-encoded.
ApiAnswer api_get(const std::string& base_url, const std::string& target);

// "host:port" and "http://host:port/" as "http://host:port".
std::string normalize_base_url(const std::string& url);

// Everything but A-Z a-z 0-9 - . _ ~ as %XX: a group name as one path segment.
std::string percent_encode(const std::string& text);

}  // namespace ks
