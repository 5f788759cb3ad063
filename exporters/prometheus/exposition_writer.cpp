#include "exporters/prometheus/exposition_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ks::prom {

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::gauge: return "gauge";
    case MetricType::counter: return "counter";
    case MetricType::histogram: return "histogram";
    case MetricType::summary: return "summary";
    case MetricType::untyped: return "untyped";
  }
  return "untyped";
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_escaped_help(std::string& out, std::string_view help) {
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    // Counters and offsets are integers: print them without exponent or fraction.
    fmt::format_to(std::back_inserter(out), "{}", static_cast<long long>(value));
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);  // shortest round-trip form
  }
}

void ExpositionWriter::family(std::string_view name, std::string_view help, MetricType type) {
  if (current_ && current_name_ == name) return;
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.help = std::string(help);
    it->second.type = type;
  }
  current_ = &it->second;
  current_name_ = std::string(name);
}

void ExpositionWriter::sample(std::span<const Label> labels, double value,
                              std::string_view suffix) {
  if (!current_) return;  // a sample without family is a programming error; drop it
  std::string& text = current_->text;
  const auto begin = static_cast<std::uint32_t>(text.size());
  text += current_name_;
  text += suffix;
  std::uint32_t key_begin = static_cast<std::uint32_t>(text.size());
  std::uint32_t key_end = key_begin;
  if (!labels.empty()) {
    text += '{';
    bool first = true;
    for (const Label& label : labels) {
      // le/quantile stay out of the sort key, so buckets keep the order they were written.
      const bool ordinal = label.name == "le" || label.name == "quantile";
      if (!first) text += ',';
      first = false;
      text += label.name;
      text += "=\"";
      append_escaped_label_value(text, label.value);
      text += '"';
      if (!ordinal) key_end = static_cast<std::uint32_t>(text.size());
    }
    text += '}';
  }
  text += ' ';
  append_value(text, value);
  text += '\n';
  current_->lines.push_back(Line{begin, static_cast<std::uint32_t>(text.size()) - begin,
                                 key_begin, key_end - key_begin});
  ++samples_;
}

std::string ExpositionWriter::finish() {
  std::size_t total = 0;
  for (const auto& [name, family] : families_) total += family.text.size() + name.size() * 2 + 64;
  std::string out;
  out.reserve(total);
  for (auto& [name, family] : families_) {
    if (family.lines.empty()) continue;
    out += "# HELP ";
    out += name;
    out += ' ';
    append_escaped_help(out, family.help);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type_name(family.type);
    out += '\n';
    const std::string& text = family.text;
    auto key = [&text](const Line& l) {
      return std::string_view(text).substr(l.key_begin, l.key_length);
    };
    auto less = [&](const Line& a, const Line& b) { return key(a) < key(b); };
    // Renderers usually write in order already; only sort when they did not.
    if (!std::is_sorted(family.lines.begin(), family.lines.end(), less)) {
      std::stable_sort(family.lines.begin(), family.lines.end(), less);
    }
    for (const Line& line : family.lines) out.append(text, line.begin, line.length);
  }
  families_.clear();
  current_ = nullptr;
  samples_ = 0;
  return out;
}

}  // namespace ks::prom
