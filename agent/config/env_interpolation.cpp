#include "agent/config/env_interpolation.hpp"

#include <cstdlib>

namespace ks::config {
namespace {

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool is_valid_name(std::string_view name) {
  if (name.empty() || !is_name_start(name.front())) return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Interpolated interpolate_env(std::string_view text, const EnvLookup& env) {
  const EnvLookup& lookup = env ? env : process_env();
  Interpolated out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text.substr(pos, 3) == "$${") {
      out.value += "${";
      pos += 3;
      continue;
    }
    if (text.substr(pos, 2) != "${") {
      out.value += text[pos++];
      continue;
    }
    const std::size_t close = text.find('}', pos + 2);
    if (close == std::string_view::npos) {
      out.errors.push_back("unterminated \"${\" (write \"$${\" for a literal \"${\")");
      return out;
    }
    const std::string_view reference = text.substr(pos, close + 1 - pos);
    const std::string_view inner = text.substr(pos + 2, close - pos - 2);
    const std::size_t default_at = inner.find(":-");
    const std::string_view name = inner.substr(0, default_at);
    if (!is_valid_name(name)) {
      out.errors.push_back("invalid environment variable reference \"" + std::string(reference) +
                           "\" (names are letters, digits and _, not starting with a digit; "
                           "write \"$${\" for a literal \"${\")");
    } else {
      const std::optional<std::string> value = lookup(std::string(name));
      if (default_at != std::string_view::npos) {
        out.value += value && !value->empty() ? *value : std::string(inner.substr(default_at + 2));
      } else if (value) {
        out.value += *value;
      } else {
        out.errors.push_back("environment variable \"" + std::string(name) + "\" is not set");
      }
    }
    pos = close + 1;
  }
  return out;
}

}  // namespace ks::config
