// libFuzzer target: ${VAR} interpolation of config values (agent/config/env_interpolation.hpp).
// Input: the text, then (after a NUL byte, if any) the value every set variable has.
// Properties: text without "${" comes back unchanged, without error; any text escaped the
// documented way ("${" written "$${") comes back as it was; a replacement is never scanned
// again (a value holding "${X}" stays as it is); a default is used as written; a reference
// to an unset variable is an error that names it.
#include <map>
#include <string>

#include "agent/config/env_interpolation.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

std::string escaped(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 2) == "${") out += '$';
    out += text[i];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ks::fuzz::ByteReader in(data, size);
  const std::string text(in.until('\0'));
  const std::string value(in.rest());
  // HOST and PORT are set (PORT to ""), everything else is unset.
  const ks::config::EnvLookup env = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "HOST") return value;
    if (name == "PORT") return std::string();
    return std::nullopt;
  };
  const auto result = ks::config::interpolate_env(text, env);
  KS_FUZZ_CHECK(ks::config::interpolate_env(text, env).value == result.value);
  if (text.find("${") == std::string::npos) {
    KS_FUZZ_CHECK(result.errors.empty() && result.value == text);
  }
  const auto literal = ks::config::interpolate_env(escaped(text), env);
  KS_FUZZ_CHECK(literal.errors.empty() && literal.value == text);
  // A set variable inserts its value as it is, whatever it holds.
  const auto inserted = ks::config::interpolate_env("<${HOST}>", env);
  KS_FUZZ_CHECK(inserted.errors.empty() && inserted.value == "<" + value + ">");
  // An unset or empty variable with a default gives the default as written.
  if (value.find('}') == std::string::npos) {
    const auto defaulted = ks::config::interpolate_env("${PORT:-" + value + "}", env);
    KS_FUZZ_CHECK(defaulted.errors.empty() && defaulted.value == value);
  }
  for (const std::string& error : result.errors) KS_FUZZ_CHECK(!error.empty());
  // Prefixing a reference to an unset variable always adds an error naming it.
  const auto unset = ks::config::interpolate_env("${UNSET}" + text, env);
  KS_FUZZ_CHECK(!unset.errors.empty() &&
                unset.errors.front().find("\"UNSET\"") != std::string::npos);
  return 0;
}
