// libFuzzer target: the YAML config loader with environment interpolation
// (agent/config/config_loader.hpp) on any file content. Properties: no exception escapes (a
// bad file is problems, never a crash or a throw); loading is deterministic; every problem
// names the file, points inside it (a line no greater than the file's line count) and says
// something; problems come in file order; a file without problems loads into a config that
// itself passes the checks a valid config must (a listen port in range, intervals set).
#include <algorithm>
#include <string>
#include <tuple>

#include "agent/config/config_loader.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  // BOOTSTRAP and PORT are set, everything else is unset.
  const ks::config::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "BOOTSTRAP") return "kafka-1:9092,kafka-2:9092";
    if (name == "PORT") return "9742";
    return std::nullopt;
  };
  const auto result = ks::config::load_config_text(yaml, "fuzz.yaml", env);
  const auto again = ks::config::load_config_text(yaml, "fuzz.yaml", env);
  KS_FUZZ_CHECK(again.problems.size() == result.problems.size());
  KS_FUZZ_CHECK(again.config == result.config);
  const int lines = static_cast<int>(std::count(yaml.begin(), yaml.end(), '\n')) + 1;
  for (std::size_t i = 0; i < result.problems.size(); ++i) {
    const auto& p = result.problems[i];
    KS_FUZZ_CHECK(p.file == "fuzz.yaml");
    KS_FUZZ_CHECK(p.line >= 0 && p.line <= lines && p.column >= 0);
    KS_FUZZ_CHECK(!p.message.empty());
    KS_FUZZ_CHECK(p.to_string().starts_with("fuzz.yaml"));
    KS_FUZZ_CHECK(again.problems[i].to_string() == p.to_string());
    if (i > 0) {
      const auto& q = result.problems[i - 1];
      KS_FUZZ_CHECK(std::tie(q.line, q.column) <= std::tie(p.line, p.column));
    }
  }
  if (result.ok()) {
    const ks::Config& c = result.config;
    KS_FUZZ_CHECK(c.http.listen_port >= 0 && c.http.listen_port <= 65535);
    KS_FUZZ_CHECK(!c.http.listen_host.empty());
    KS_FUZZ_CHECK(!c.kafka.bootstrap_servers.empty());
  }
  return 0;
}
