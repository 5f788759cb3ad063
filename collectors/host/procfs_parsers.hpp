// Parsers of the procfs files the host collector reads. Pure functions over the file's
// text, so they are tested on fixtures; they follow node_exporter's interpretation of
// each file so that our node_* series carry the same values.
//
// They are strict: anything they cannot read with certainty (a non-numeric or negative
// field, a missing column, a cut-off last line, an empty file) throws ParseError naming
// the file and the line, rather than publishing a wrong value. Extra columns or lines
// that newer kernels add are ignored.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/host_snapshot.hpp"

namespace ks::host {

struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Clock ticks per second of /proc/stat. The kernel exports times in USER_HZ, which is
// 100 on every architecture Linux's ABI allows; node_exporter assumes the same.
inline constexpr double kUserHz = 100.0;

// /proc/stat: the aggregate "cpu" line (required) and every "cpuN" line, in seconds.
// Each needs at least 8 numbers (user nice system idle iowait irq softirq steal);
// guest and guest_nice are not added again (the kernel counts them in user and nice).
CpuStat parse_proc_stat(std::string_view text, std::string_view source_name = "/proc/stat");

// /proc/meminfo: every field, in file order. "kB" values become bytes (has_unit);
// unitless fields (HugePages_Total, ...) stay counts. Names are sanitised as
// node_exporter does ("Active(anon)" -> "Active_anon").
std::vector<MeminfoField> parse_meminfo(std::string_view text,
                                        std::string_view source_name = "/proc/meminfo");

// /proc/loadavg: the 1, 5 and 15 minute load averages.
LoadAverage parse_loadavg(std::string_view text, std::string_view source_name = "/proc/loadavg");

// /proc/pressure/<resource>: the "some" line (required) and the "full" line (absent for
// cpu before Linux 5.13); "total=" microseconds become seconds. An empty source_name
// means "/proc/pressure/<resource>".
PressureStall parse_pressure(std::string_view resource, std::string_view text,
                             std::string_view source_name = {});

// node_exporter's metric-name form of a /proc/meminfo key: "(x)" becomes "_x".
std::string sanitize_meminfo_name(std::string_view key);

}  // namespace ks::host
