// Loads the agent's YAML config file into ks::Config and validates it, collecting every
// problem (not only the first) with its file, line and dotted key path. Reference:
// docs/config.md and config/kafka-sentinel.yaml.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/env_interpolation.hpp"
#include "core/config.hpp"

namespace ks::config {

struct ConfigProblem {
  std::string file;      // as given by the caller; "command line" for overrides
  int line = 0;          // 1-based; 0 = not tied to a line (unreadable file, defaults, CLI)
  int column = 0;        // 1-based; 0 = unknown
  std::string key_path;  // "collectors.brokers.topics.include[2]"; "" for file-level problems
  std::string message;

  // "FILE:LINE: KEY.PATH: MESSAGE". Without a key path (YAML syntax errors, a top level that
  // is not a mapping) the column follows the line: "FILE:LINE:COL: MESSAGE". Line 0 and
  // column 0 are left out: "command line: --listen: MESSAGE".
  std::string to_string() const;
};

struct LoadResult {
  Config config;  // defaults wherever the file is silent or a value was invalid
  std::vector<ConfigProblem> problems;  // in file order
  bool ok() const { return problems.empty(); }
};

// An empty EnvLookup means the process environment (getenv).
LoadResult load_config_file(const std::string& path, const EnvLookup& env = {});
LoadResult load_config_text(std::string_view yaml, const std::string& source_name,
                            const EnvLookup& env = {});

// No file: the built-in defaults, validated like a loaded file.
LoadResult default_config();

// Command-line flags that override the file (applied after loading).
struct Overrides {
  std::optional<std::string> listen;             // --listen HOST:PORT
  std::optional<std::string> bootstrap_servers;  // --bootstrap-servers LIST
  std::optional<std::string> log_level;          // --log-level LEVEL
  std::optional<std::string> web_config_file;    // --web.config.file FILE
};

// Validates each given override like the config key it replaces and applies the valid ones;
// problems have file "command line", line 0 and the flag as key path ("--listen").
std::vector<ConfigProblem> apply_overrides(Config& config, const Overrides& overrides);

}  // namespace ks::config
