// libFuzzer target: the /proc/meminfo parser (collectors/host/procfs_parsers.hpp) on any text.
// Properties: it returns or throws ParseError naming the file (nothing else escapes); every
// field it returns makes a valid metric name (node_memory_<name>), once, with a finite
// non-negative value, a whole number of KiB when it had the kB unit.
#include <cmath>
#include <set>
#include <string>

#include "collectors/host/procfs_parsers.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto fields = ks::host::parse_meminfo(text, "fuzz/meminfo");
    KS_FUZZ_CHECK(!fields.empty());
    std::set<std::string> names;
    for (const ks::MeminfoField& f : fields) {
      KS_FUZZ_CHECK(!f.name.empty());
      KS_FUZZ_CHECK(f.name.find_first_not_of(
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
                    std::string::npos);
      KS_FUZZ_CHECK(names.insert(f.name).second);
      KS_FUZZ_CHECK(std::isfinite(f.value) && f.value >= 0);
      if (f.has_unit) KS_FUZZ_CHECK(std::fmod(f.value, 1024.0) == 0);
    }
    KS_FUZZ_CHECK(text.back() == '\n');
  } catch (const ks::host::ParseError& e) {
    KS_FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz/meminfo"));
  }
  // Sanitising a name never grows it.
  const std::string name = ks::host::sanitize_meminfo_name(text);
  KS_FUZZ_CHECK(name.size() <= text.size());
  return 0;
}
