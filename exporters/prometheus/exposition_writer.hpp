// A small, exact writer of the Prometheus text exposition format (version 0.0.4) for the
// large snapshot-derived families. Why not prometheus-cpp's serializer: at 100k series it
// spends ~400 ms and ~100 MB building ClientMetric objects (DESIGN.md); this writes the
// lines directly into one buffer per family.
//
// Output is sorted by family name, then by label set (so it is diffable); HELP and TYPE
// are written once per family; label values and HELP text are escaped.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ks::prom {

enum class MetricType { gauge, counter, histogram, summary, untyped };

struct Label {
  std::string_view name;
  std::string_view value;
};

class ExpositionWriter {
 public:
  // Selects family `name` for the following samples. HELP/TYPE of the first call win;
  // calling it again for the same name continues that family.
  void family(std::string_view name, std::string_view help, MetricType type);

  // A sample of the selected family. `suffix` is for histogram/summary parts
  // ("_bucket", "_sum", "_count"); a label named "le" or "quantile" should come last.
  void sample(std::span<const Label> labels, double value, std::string_view suffix = {});
  void sample(std::initializer_list<Label> labels, double value, std::string_view suffix = {}) {
    sample(std::span<const Label>(labels.begin(), labels.size()), value, suffix);
  }

  std::size_t sample_count() const { return samples_; }

  // The whole exposition, sorted. Families without samples are left out.
  std::string finish();

 private:
  struct Line {
    std::uint32_t begin, length;          // the whole line in Family::text
    std::uint32_t key_begin, key_length;  // the label set used for sorting (without le/quantile)
  };
  struct Family {
    std::string help;
    MetricType type = MetricType::untyped;
    std::string text;
    std::vector<Line> lines;
  };
  std::map<std::string, Family, std::less<>> families_;
  Family* current_ = nullptr;
  std::string current_name_;
  std::size_t samples_ = 0;
};

// Escapes for label values: backslash, double quote and line feed.
void append_escaped_label_value(std::string& out, std::string_view value);
// Escapes for HELP text: backslash and line feed.
void append_escaped_help(std::string& out, std::string_view help);
// Go-compatible float text: integers without exponent where exact, +Inf, -Inf, NaN.
void append_value(std::string& out, double value);
std::string_view type_name(MetricType type);

}  // namespace ks::prom
