// libFuzzer target: the exposition writer (exporters/prometheus/exposition_writer.hpp) with
// fuzzed label values, HELP texts, sample values and write order. The output is read back
// with a strict reader of the text format 0.0.4, and must be valid: UTF-8 throughout; each
// family once, sorted by name, HELP then TYPE first; every sample line `name{l="v",...} value`
// with only the escapes \\ \" \n in label values (and \\ \n in HELP). And it must say what was
// written: each label value and HELP text reads back as given (invalid UTF-8 as U+FFFD), each
// value as the same number, and every sample once, in label-set order within its family.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "exporters/prometheus/exposition_writer.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using ks::prom::Label;
using ks::prom::MetricType;

constexpr const char* kFamilies[] = {"kafka_topic_partitions", "a_total", "node_memory_Active_anon_bytes",
                                     "kafka_consumergroup_lag"};
// le and quantile last, as the writer asks.
constexpr const char* kLabelNames[] = {"topic", "partition", "consumergroup", "x_1", "le", "quantile"};
constexpr const char* kSuffixes[] = {"", "_bucket", "_sum", "_count"};

struct Sample {
  std::string name;  // family name + suffix
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

struct Family {
  std::string help;
  MetricType type = MetricType::untyped;
  std::vector<Sample> samples;
};

// Whether `s` is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
    for (std::size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    const std::uint32_t min = n == 1 ? 0 : n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

// Reads an escaped string up to `end` (the closing quote, or the line's end for HELP); the
// only escapes are \\ and \n, and \" where `quote_escape`; advances `pos` past `end`.
std::string unescape(std::string_view line, std::size_t& pos, char end, bool quote_escape) {
  std::string out;
  while (true) {
    KS_FUZZ_CHECK(pos < line.size());
    const char c = line[pos++];
    if (c == end) return out;
    KS_FUZZ_CHECK(c != '\n');
    if (c != '\\') {
      KS_FUZZ_CHECK(!(quote_escape && c == '"'));
      out += c;
      continue;
    }
    KS_FUZZ_CHECK(pos < line.size());
    const char e = line[pos++];
    KS_FUZZ_CHECK(e == '\\' || e == 'n' || (quote_escape && e == '"'));
    out += e == 'n' ? '\n' : e;
  }
}

std::string name_at(std::string_view line, std::size_t& pos) {
  const std::size_t begin = pos;
  while (pos < line.size() && (std::isalnum(static_cast<unsigned char>(line[pos])) || line[pos] == '_' || line[pos] == ':')) ++pos;
  KS_FUZZ_CHECK(pos > begin && !std::isdigit(static_cast<unsigned char>(line[begin])));
  return std::string(line.substr(begin, pos - begin));
}

double number_of(std::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  const std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  KS_FUZZ_CHECK(!s.empty() && end == s.c_str() + s.size());
  KS_FUZZ_CHECK(std::isfinite(v));
  return v;
}

// One sample line; `key` gets the text the writer sorts by (labels but le/quantile).
Sample parse_sample(std::string_view line, std::string& key) {
  Sample s;
  std::size_t pos = 0;
  s.name = name_at(line, pos);
  const std::size_t key_begin = pos;
  std::size_t key_end = pos;
  KS_FUZZ_CHECK(pos < line.size());
  if (line[pos] == '{') {
    ++pos;
    while (true) {
      std::string name = name_at(line, pos);
      KS_FUZZ_CHECK(line.substr(pos, 2) == "=\"");
      pos += 2;
      std::string value = unescape(line, pos, '"', true);
      if (name != "le" && name != "quantile") key_end = pos;
      s.labels.emplace_back(std::move(name), std::move(value));
      KS_FUZZ_CHECK(pos < line.size());
      if (line[pos] == '}') break;
      KS_FUZZ_CHECK(line[pos] == ',');
      ++pos;
    }
    ++pos;
  }
  key = std::string(line.substr(key_begin, key_end - key_begin));
  KS_FUZZ_CHECK(pos < line.size() && line[pos] == ' ');
  s.value = number_of(line.substr(pos + 1));
  return s;
}

bool same_value(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// What a label value or HELP text must read back as: itself, each byte that is not part of a
// valid UTF-8 sequence replaced by U+FFFD.
std::string expected_text(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n > 0 && i + n <= s.size() && valid_utf8(s.substr(i, n))) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

bool reads_back(const std::string& given, const std::string& read) {
  return expected_text(given) == read;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ks::fuzz::ByteReader in(data, size);
  ks::prom::ExpositionWriter writer;
  std::map<std::string, Family> expected;
  std::string current;
  while (!in.empty()) {
    const std::uint8_t op = in.byte();
    if (op % 4 == 0 || current.empty()) {
      current = kFamilies[(op >> 2) % 4];
      const std::string help(in.field());
      const auto type = static_cast<MetricType>(in.byte() % 5);
      writer.family(current, help, type);
      expected.emplace(current, Family{help, type, {}});
      if (op % 4 == 0) continue;
    }
    Sample s;
    const std::string_view suffix = kSuffixes[(op >> 2) % 4];
    s.name = current + std::string(suffix);
    const std::uint8_t mask = in.byte();
    std::vector<Label> labels;
    for (int i = 0; i < 6; ++i) {
      if ((mask >> i) & 1) s.labels.emplace_back(kLabelNames[i], std::string(in.field()));
    }
    for (const auto& [name, value] : s.labels) labels.push_back(Label{name, value});
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | in.byte();
    std::memcpy(&s.value, &bits, sizeof bits);
    writer.sample(labels, s.value, suffix);
    expected[current].samples.push_back(std::move(s));
  }

  const std::string out = writer.finish();
  KS_FUZZ_CHECK(valid_utf8(out));
  KS_FUZZ_CHECK(out.empty() || out.back() == '\n');
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < out.size();) {
    const std::size_t end = out.find('\n', pos);
    lines.push_back(std::string_view(out).substr(pos, end - pos));
    pos = end + 1;
  }
  std::size_t at = 0;
  for (auto& [name, family] : expected) {  // std::map: in name order, as the output must be
    if (family.samples.empty()) continue;
    KS_FUZZ_CHECK(at + 2 <= lines.size());
    const std::string help_prefix = "# HELP " + name + " ";
    KS_FUZZ_CHECK(lines[at].starts_with(help_prefix));
    std::size_t pos = help_prefix.size();
    const std::string line_with_end = std::string(lines[at]) + '\n';
    KS_FUZZ_CHECK(reads_back(family.help, unescape(line_with_end, pos, '\n', false)));
    KS_FUZZ_CHECK(lines[at + 1] == "# TYPE " + name + " " + std::string(ks::prom::type_name(family.type)));
    at += 2;
    std::string previous_key;
    std::vector<Sample> remaining = family.samples;
    for (std::size_t i = 0; i < family.samples.size(); ++i, ++at) {
      KS_FUZZ_CHECK(at < lines.size());
      std::string key;
      const Sample read = parse_sample(lines[at], key);
      KS_FUZZ_CHECK(i == 0 || previous_key <= key);
      previous_key = key;
      const auto match = std::find_if(remaining.begin(), remaining.end(), [&](const Sample& s) {
        if (s.name != read.name || s.labels.size() != read.labels.size() || !same_value(s.value, read.value)) return false;
        for (std::size_t l = 0; l < s.labels.size(); ++l) {
          if (s.labels[l].first != read.labels[l].first || !reads_back(s.labels[l].second, read.labels[l].second)) return false;
        }
        return true;
      });
      if (match == remaining.end()) std::fprintf(stderr, "unexpected line: %s\n", std::string(lines[at]).c_str());
      KS_FUZZ_CHECK(match != remaining.end());
      remaining.erase(match);
    }
  }
  KS_FUZZ_CHECK(at == lines.size());
  return 0;
}
