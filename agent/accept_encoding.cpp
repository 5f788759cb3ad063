#include "agent/accept_encoding.hpp"

#include <cctype>
#include <charconv>
#include <optional>
#include <string>

namespace ks {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The q-value of one list element's parameters ("q=0.5"); 1 when absent, 0 when malformed
// (a client that sends garbage gets the uncompressed body, which every client reads).
double q_value(std::string_view params) {
  while (!params.empty()) {
    const std::size_t semicolon = params.find(';');
    const std::string_view param = trim(params.substr(0, semicolon));
    params = semicolon == std::string_view::npos ? std::string_view() : params.substr(semicolon + 1);
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
    const std::string_view number = trim(param.substr(2));
    double q = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), q);
    if (error != std::errc() || end != number.data() + number.size() || q < 0 || q > 1) return 0;
    return q;
  }
  return 1;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<double> gzip;
  std::optional<double> any;
  while (!accept_encoding.empty()) {
    const std::size_t comma = accept_encoding.find(',');
    const std::string_view element = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    const std::size_t semicolon = element.find(';');
    const std::string coding = lower(trim(element.substr(0, semicolon)));
    const double q =
        semicolon == std::string_view::npos ? 1.0 : q_value(element.substr(semicolon + 1));
    if (coding == "gzip" || coding == "x-gzip") {
      gzip = q;
    } else if (coding == "*") {
      any = q;
    }
  }
  if (gzip) return *gzip > 0;
  return any && *any > 0;
}

}  // namespace ks
