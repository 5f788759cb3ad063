#include "agent/api_client.hpp"

#include <httplib.h>
#include <fmt/format.h>

namespace ks {
namespace {

constexpr int kConnectTimeoutSeconds = 2;
constexpr int kReadTimeoutSeconds = 5;

std::string describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection: return "cannot connect (no agent listening, or unreachable)";
    case httplib::Error::Read: return "no answer (the connection failed or timed out)";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLServerVerification: return "the server's certificate was not verified";
    default: return "request failed (" + httplib::to_string(error) + ")";
  }
}

}  // namespace

std::string normalize_base_url(const std::string& url) {
  std::string out = url.find("://") == std::string::npos ? "http://" + url : url;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string percent_encode(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

ApiAnswer api_get(const std::string& base_url, const std::string& target) {
  ApiAnswer answer;
  try {
    httplib::Client client(normalize_base_url(base_url));
    if (!client.is_valid()) {
      answer.problem = "not a usable URL";
      return answer;
    }
    client.set_connection_timeout(kConnectTimeoutSeconds, 0);
    client.set_read_timeout(kReadTimeoutSeconds, 0);
    const httplib::Result result = client.Get(target.c_str());
    if (!result) {
      answer.problem = describe(result.error());
      return answer;
    }
    answer.reached = true;
    answer.status = result->status;
    answer.body = result->body;
  } catch (const std::exception& e) {
    answer.problem = e.what();  // a URL httplib cannot parse
  }
  return answer;
}

}  // namespace ks
