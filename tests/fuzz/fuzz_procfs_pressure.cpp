// libFuzzer target: the /proc/pressure/<resource> parser (collectors/host/procfs_parsers.hpp)
// on any text. Properties: it returns or throws ParseError naming the file (nothing else
// escapes); a result always has the "some" stall, every stall is finite and non-negative,
// and the resource is the one asked for.
#include <cmath>
#include <string>

#include "collectors/host/procfs_parsers.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const ks::PressureStall stall = ks::host::parse_pressure("io", text);
    KS_FUZZ_CHECK(stall.resource == "io");
    KS_FUZZ_CHECK(stall.some_seconds.has_value());
    KS_FUZZ_CHECK(std::isfinite(*stall.some_seconds) && *stall.some_seconds >= 0);
    if (stall.full_seconds) {
      KS_FUZZ_CHECK(std::isfinite(*stall.full_seconds) && *stall.full_seconds >= 0);
    }
    KS_FUZZ_CHECK(text.back() == '\n');
  } catch (const ks::host::ParseError& e) {
    KS_FUZZ_CHECK(std::string_view(e.what()).starts_with("/proc/pressure/io"));
  }
  return 0;
}
