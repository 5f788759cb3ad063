#include "collectors/host/procfs_parsers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>

namespace ks::host {
namespace {

// A token quoted for an error message: bounded, and printable whatever the file held.
std::string quoted(std::string_view token) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  for (char c : token.substr(0, kMax)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (token.size() > kMax) out += "...";
  out += '\'';
  return out;
}

[[noreturn]] void fail_file(std::string_view source, std::string_view problem) {
  throw ParseError(fmt::format("{}: {}", source, problem));
}

[[noreturn]] void fail_line(std::string_view source, std::size_t line_number,
                            std::string_view problem) {
  throw ParseError(fmt::format("{} line {}: {}", source, line_number, problem));
}

void require_nonempty(std::string_view text, std::string_view source) {
  if (text.empty()) fail_file(source, "empty file");
}

// procfs files always end with a newline: a file that does not was cut short, and its
// last number may be missing digits. Checked after the lines, whose own errors say more.
void require_terminated(std::string_view text, std::string_view source) {
  if (text.back() != '\n') {
    fail_file(source, "last line does not end with a newline (file cut short?)");
  }
}

// Calls f(line_number, line) for every line (without its newline), numbered from 1.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    f(++number, line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const std::size_t begin = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > begin) fields.push_back(line.substr(begin, i - begin));
  }
  return fields;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

// Digits only: no sign, no spaces, no exponent, and no overflow.
std::optional<std::uint64_t> parse_unsigned(std::string_view s) {
  if (!all_digits(s)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// "12" or "12.34": the only forms the kernel prints for averages (no sign, inf or nan).
std::optional<double> parse_decimal(std::string_view s) {
  const std::size_t dot = s.find('.');
  const bool ok = dot == std::string_view::npos
                      ? all_digits(s)
                      : all_digits(s.substr(0, dot)) && all_digits(s.substr(dot + 1));
  if (!ok) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value,
                                         std::chars_format::fixed);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

constexpr std::array<std::string_view, 10> kCpuColumns = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"};
constexpr std::size_t kCpuRequiredColumns = 8;  // up to steal (Linux 2.6.11+)

CpuTimes parse_cpu_line(const std::vector<std::string_view>& fields, std::string_view source,
                        std::size_t line_number) {
  const std::string_view key = fields[0];
  const std::size_t numbers = fields.size() - 1;
  if (numbers < kCpuRequiredColumns) {
    fail_line(source, line_number,
              fmt::format("expected at least {} numbers after {}, got {}", kCpuRequiredColumns,
                          quoted(key), numbers));
  }
  std::array<double, kCpuColumns.size()> seconds{};
  // Known columns are checked even where unused: a garbled guest column means the line
  // cannot be trusted. Columns beyond guest_nice (future kernels) are ignored.
  for (std::size_t i = 0; i < std::min(numbers, kCpuColumns.size()); ++i) {
    const auto ticks = parse_unsigned(fields[i + 1]);
    if (!ticks) {
      fail_line(source, line_number,
                fmt::format("{} of {} is not a non-negative integer: {}", kCpuColumns[i],
                            quoted(key), quoted(fields[i + 1])));
    }
    seconds[i] = static_cast<double>(*ticks) / kUserHz;
  }
  CpuTimes t;
  t.cpu = std::string(key.substr(3));
  t.user = seconds[0];
  t.nice = seconds[1];
  t.system = seconds[2];
  t.idle = seconds[3];
  t.iowait = seconds[4];
  t.irq = seconds[5];
  t.softirq = seconds[6];
  t.steal = seconds[7];
  return t;
}

bool is_metric_name_part(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  });
}

}  // namespace

CpuStat parse_proc_stat(std::string_view text, std::string_view source_name) {
  require_nonempty(text, source_name);
  CpuStat stat;
  bool seen_aggregate = false;
  for_each_line(text, [&](std::size_t number, std::string_view line) {
    const auto fields = split_fields(line);
    if (fields.empty() || !fields[0].starts_with("cpu")) return;  // intr, ctxt, btime, ...
    const std::string_view label = fields[0].substr(3);
    if (!label.empty() && !all_digits(label)) {
      fail_line(source_name, number, fmt::format("unexpected key {}", quoted(fields[0])));
    }
    CpuTimes times = parse_cpu_line(fields, source_name, number);
    if (label.empty()) {
      if (seen_aggregate) fail_line(source_name, number, "second aggregate 'cpu' line");
      seen_aggregate = true;
      stat.all = std::move(times);
      return;
    }
    const bool duplicate = std::any_of(stat.per_cpu.begin(), stat.per_cpu.end(),
                                       [&](const CpuTimes& c) { return c.cpu == label; });
    if (duplicate) fail_line(source_name, number, fmt::format("second {} line", quoted(fields[0])));
    stat.per_cpu.push_back(std::move(times));
  });
  require_terminated(text, source_name);
  if (!seen_aggregate) fail_file(source_name, "no aggregate 'cpu' line");
  return stat;
}

std::string sanitize_meminfo_name(std::string_view key) {
  // node_exporter replaces the regexp \((.*)\) (greedy) with _$1.
  const std::size_t open = key.find('(');
  if (open == std::string_view::npos) return std::string(key);
  const std::size_t close = key.rfind(')');
  if (close == std::string_view::npos || close < open) return std::string(key);
  std::string name(key.substr(0, open));
  name += '_';
  name += key.substr(open + 1, close - open - 1);
  name += key.substr(close + 1);
  return name;
}

std::vector<MeminfoField> parse_meminfo(std::string_view text, std::string_view source_name) {
  require_nonempty(text, source_name);
  std::vector<MeminfoField> fields;
  for_each_line(text, [&](std::size_t number, std::string_view line) {
    const auto parts = split_fields(line);
    if (parts.empty()) return;  // some kernels print stray empty lines (node_exporter skips)
    const std::string_view key = parts[0];
    if (key.size() < 2 || key.back() != ':') {
      fail_line(source_name, number,
                fmt::format("expected 'Name: value [kB]', got {}", quoted(line)));
    }
    const std::string_view raw_name = key.substr(0, key.size() - 1);
    if (parts.size() < 2) {
      fail_line(source_name, number, fmt::format("no value for {}", quoted(raw_name)));
    }
    if (parts.size() > 3) {
      fail_line(source_name, number,
                fmt::format("unexpected text after the value of {}: {}", quoted(raw_name),
                            quoted(parts[3])));
    }
    const auto value = parse_unsigned(parts[1]);
    if (!value) {
      fail_line(source_name, number,
                fmt::format("value of {} is not a non-negative integer: {}", quoted(raw_name),
                            quoted(parts[1])));
    }
    const bool has_unit = parts.size() == 3;
    if (has_unit && parts[2] != "kB") {
      fail_line(source_name, number,
                fmt::format("unit of {} is {}, expected 'kB'", quoted(raw_name), quoted(parts[2])));
    }
    MeminfoField field;
    field.name = sanitize_meminfo_name(raw_name);
    if (!is_metric_name_part(field.name)) {
      fail_line(source_name, number,
                fmt::format("field name {} cannot form a metric name", quoted(raw_name)));
    }
    const bool duplicate = std::any_of(fields.begin(), fields.end(),
                                       [&](const MeminfoField& f) { return f.name == field.name; });
    if (duplicate) {
      fail_line(source_name, number, fmt::format("second {} field", quoted(field.name)));
    }
    field.value = static_cast<double>(*value) * (has_unit ? 1024.0 : 1.0);
    field.has_unit = has_unit;
    fields.push_back(std::move(field));
  });
  require_terminated(text, source_name);
  if (fields.empty()) fail_file(source_name, "no fields");
  return fields;
}

LoadAverage parse_loadavg(std::string_view text, std::string_view source_name) {
  require_nonempty(text, source_name);
  const std::string_view first_line = text.substr(0, text.find('\n'));
  const auto fields = split_fields(first_line);
  if (fields.size() < 3) {
    fail_line(source_name, 1,
              fmt::format("expected at least 3 load averages, got {} fields", fields.size()));
  }
  constexpr std::array<std::string_view, 3> kNames = {"1m", "5m", "15m"};
  std::array<double, 3> values{};
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto value = parse_decimal(fields[i]);
    if (!value) {
      fail_line(source_name, 1,
                fmt::format("{} load average is not a non-negative decimal number: {}",
                            kNames[i], quoted(fields[i])));
    }
    values[i] = *value;
  }
  require_terminated(text, source_name);
  return LoadAverage{values[0], values[1], values[2]};
}

PressureStall parse_pressure(std::string_view resource, std::string_view text,
                             std::string_view source_name) {
  const std::string default_name = fmt::format("/proc/pressure/{}", resource);
  const std::string_view source = source_name.empty() ? std::string_view(default_name)
                                                      : source_name;
  require_nonempty(text, source);
  PressureStall stall;
  stall.resource = std::string(resource);
  for_each_line(text, [&](std::size_t number, std::string_view line) {
    const auto fields = split_fields(line);
    if (fields.empty()) return;
    const std::string_view kind = fields[0];
    if (kind != "some" && kind != "full") return;  // a kind a future kernel may add
    std::optional<double>& slot = kind == "some" ? stall.some_seconds : stall.full_seconds;
    if (slot) fail_line(source, number, fmt::format("second {} line", quoted(kind)));

    bool avg10 = false, avg60 = false, avg300 = false;
    std::optional<std::uint64_t> total_us;
    for (std::size_t i = 1; i < fields.size(); ++i) {
      const std::string_view token = fields[i];
      const std::size_t eq = token.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        fail_line(source, number, fmt::format("expected key=value, got {}", quoted(token)));
      }
      const std::string_view key = token.substr(0, eq);
      const std::string_view value = token.substr(eq + 1);
      if (key == "total") {
        total_us = parse_unsigned(value);
        if (!total_us) {
          fail_line(source, number,
                    fmt::format("total of {} is not a non-negative integer: {}", quoted(kind),
                                quoted(value)));
        }
      } else if (key == "avg10" || key == "avg60" || key == "avg300") {
        if (!parse_decimal(value)) {
          fail_line(source, number,
                    fmt::format("{} of {} is not a non-negative decimal number: {}", key,
                                quoted(kind), quoted(value)));
        }
        (key == "avg10" ? avg10 : key == "avg60" ? avg60 : avg300) = true;
      }
    }
    const char* missing = !total_us ? "total="
                          : !avg10  ? "avg10="
                          : !avg60  ? "avg60="
                          : !avg300 ? "avg300="
                                    : nullptr;
    if (missing) fail_line(source, number, fmt::format("{} line lacks {}", quoted(kind), missing));
    // Microseconds to seconds, the way node_exporter divides (same double result).
    slot = static_cast<double>(*total_us) / 1000.0 / 1000.0;
  });
  require_terminated(text, source);
  if (!stall.some_seconds) fail_file(source, "no 'some' line");
  return stall;
}

}  // namespace ks::host
