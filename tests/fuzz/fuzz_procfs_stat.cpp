// libFuzzer target: the /proc/stat parser (collectors/host/procfs_parsers.hpp) on any text.
// Properties: it returns or throws ParseError naming the file (nothing else escapes); what
// it returns is what node_* series may carry: finite non-negative seconds, busy <= total,
// per-CPU labels of digits only, each once.
#include <cmath>
#include <set>
#include <string>

#include "collectors/host/procfs_parsers.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

void check_times(const ks::CpuTimes& t) {
  for (double v : {t.user, t.nice, t.system, t.idle, t.iowait, t.irq, t.softirq, t.steal}) {
    KS_FUZZ_CHECK(std::isfinite(v) && v >= 0);
  }
  KS_FUZZ_CHECK(t.busy() <= t.total() + 1e-9 * t.total());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const ks::CpuStat stat = ks::host::parse_proc_stat(text, "fuzz/stat");
    KS_FUZZ_CHECK(stat.all.cpu.empty());
    check_times(stat.all);
    std::set<std::string> labels;
    for (const ks::CpuTimes& cpu : stat.per_cpu) {
      KS_FUZZ_CHECK(!cpu.cpu.empty() && cpu.cpu.find_first_not_of("0123456789") == std::string::npos);
      KS_FUZZ_CHECK(labels.insert(cpu.cpu).second);
      check_times(cpu);
    }
    KS_FUZZ_CHECK(!text.empty() && text.back() == '\n');
  } catch (const ks::host::ParseError& e) {
    KS_FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz/stat"));
  }
  return 0;
}
