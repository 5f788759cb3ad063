// libFuzzer target: the /proc/loadavg parser (collectors/host/procfs_parsers.hpp) on any
// text. Properties: it returns or throws ParseError naming the file (nothing else escapes);
// the three averages it returns are finite and non-negative, and each is the decimal number
// written in its field (printed back with the same digits, it parses to the same value).
#include <cmath>
#include <cstdlib>
#include <string>

#include "collectors/host/procfs_parsers.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const ks::LoadAverage load = ks::host::parse_loadavg(text, "fuzz/loadavg");
    for (double v : {load.load1, load.load5, load.load15}) {
      KS_FUZZ_CHECK(std::isfinite(v) && v >= 0);
    }
    KS_FUZZ_CHECK(text.back() == '\n');
    // The first field, read by the C library, gives the same number.
    const std::string first(text.substr(0, text.find_first_of(" \t\r\f\v\n",
                                                              text.find_first_not_of(" \t\r\f\v"))));
    KS_FUZZ_CHECK(std::strtod(first.c_str(), nullptr) == load.load1);
  } catch (const ks::host::ParseError& e) {
    KS_FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz/loadavg"));
  }
  return 0;
}
