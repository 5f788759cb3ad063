#include "agent/api_client.hpp"

#include <httplib.h>
#include <fmt/format.h>

#include <memory>

namespace ks {
namespace {

constexpr int kConnectTimeoutSeconds = 2;
constexpr int kReadTimeoutSeconds = 5;

std::string describe(httplib::Error error, bool https, bool client_certificate) {
  switch (error) {
    case httplib::Error::Connection: return "cannot connect (no agent listening, or unreachable)";
    case httplib::Error::Read:
    case httplib::Error::Write:
      // Over TLS 1.3 a server that requires a client certificate refuses it after the
      // client's side of the handshake: the request then meets a closed connection.
      if (!https) {
        return "no answer (the connection failed or timed out; if the agent serves HTTPS, "
               "give an https:// URL)";
      }
      return client_certificate ? "no answer (the connection failed or timed out)"
                                : "no answer over TLS (the connection was closed or timed out: "
                                  "does the agent require a client certificate, --cert and --key?)";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed (not an HTTPS endpoint, or it refused us: does it require a "
             "client certificate, --cert and --key?)";
    case httplib::Error::SSLServerVerification:
      return "TLS: the agent's certificate was not verified (not signed by a trusted CA, give "
             "--cacert FILE; or not issued for this host name)";
    case httplib::Error::SSLLoadingCerts:
      return "TLS: cannot load the certificates given (--cacert, --cert, --key)";
    default: return "request failed (" + httplib::to_string(error) + ")";
  }
}

// A 401: what to do about it.
std::string refused(const ApiAccess& access) {
  if (access.user.empty()) {
    return "HTTP 401: the agent requires credentials (give --user USER and --password-file FILE "
           "or the KAFKA_SENTINEL_PASSWORD environment variable)";
  }
  return "HTTP 401: the agent rejected the credentials of user '" + access.user + "'";
}

std::unique_ptr<httplib::Client> client_for(const std::string& url, const ApiAccess& access) {
  auto client = access.cert_file.empty()
                    ? std::make_unique<httplib::Client>(url)
                    : std::make_unique<httplib::Client>(url, access.cert_file, access.key_file);
  if (!access.ca_file.empty()) client->set_ca_cert_path(access.ca_file);
  if (!access.user.empty()) client->set_basic_auth(access.user, access.password);
  client->set_connection_timeout(kConnectTimeoutSeconds, 0);
  client->set_read_timeout(kReadTimeoutSeconds, 0);
  return client;
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

ApiAnswer api_get(const std::string& base_url, const std::string& target, const ApiAccess& access) {
  ApiAnswer answer;
  try {
    const std::string url = normalize_base_url(base_url);
    const auto client = client_for(url, access);
    if (!client->is_valid()) {
      answer.problem = access.cert_file.empty()
                           ? "not a usable URL"
                           : "not a usable URL, or the client certificate (--cert, --key) does not load";
      return answer;
    }
    const httplib::Result result = client->Get(target.c_str());
    if (!result) {
      answer.problem = describe(result.error(), url.starts_with("https://"), !access.cert_file.empty());
      return answer;
    }
    answer.status = result->status;
    answer.body = result->body;
    answer.reached = answer.status != 401;
    if (!answer.reached) answer.problem = refused(access);
  } catch (const std::exception& e) {
    answer.problem = e.what();  // a URL httplib cannot parse
  }
  return answer;
}

}  // namespace ks
