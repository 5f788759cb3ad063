// ${VAR} interpolation in config values: secrets and per-node settings come from the
// environment, so one config file serves every node.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ks::config {

// Returns the value of an environment variable, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment (getenv).
EnvLookup process_env();

struct Interpolated {
  std::string value;
  std::vector<std::string> errors;  // one message per problem; value is meaningless if any
};

// Replaces, left to right:
//   ${NAME}           the variable's value; an unset variable is an error
//   ${NAME:-default}  the value, or `default` when unset or empty (as in the shell)
//   $${               a literal "${"
// NAME is [A-Za-z_][A-Za-z0-9_]*. Any other "$" is kept as is. The replacement text is not
// scanned again. An empty `env` means process_env().
Interpolated interpolate_env(std::string_view text, const EnvLookup& env);

}  // namespace ks::config
