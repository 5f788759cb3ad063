#include "exporters/prometheus/exposition_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>
#include <stdexcept>

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

namespace {

// The length of the valid UTF-8 sequence that starts at text[i] (a byte >= 0x80), or 0 when
// none does: a stray continuation byte, a truncated sequence, an overlong form, a surrogate or
// a code point above U+10FFFF.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  const std::size_t n = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
  if (n == 0 || lead > 0xf4 || i + n > text.size()) return 0;
  std::uint32_t cp = lead & (0x7f >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  const std::uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// Appends `text` with the escapes of `escape` for ASCII bytes. The text format is UTF-8, and
// Prometheus rejects a whole scrape over one invalid byte: a label value can hold whatever
// bytes a Kafka client sent as its group or client id, so each byte that is not part of a
// valid UTF-8 sequence becomes U+FFFD.
template <class Escape>
void append_utf8(std::string& out, std::string_view text, Escape escape) {
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      escape(out, c);
      ++i;
    } else if (const std::size_t n = utf8_sequence_length(text, i); n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
}

}  // namespace

void append_escaped_label_value(std::string& out, std::string_view value) {
  append_utf8(out, value, [](std::string& o, char c) {
    switch (c) {
      case '\\': o += "\\\\"; break;
      case '"': o += "\\\""; break;
      case '\n': o += "\\n"; break;
      default: o += c;
    }
  });
}

void append_escaped_help(std::string& out, std::string_view help) {
  append_utf8(out, help, [](std::string& o, char c) {
    switch (c) {
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      default: o += c;
    }
  });
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
  std::string& text = line_;
  text.clear();
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
  Family& family = *current_;
  const Line line{family.text.append(text), key_begin, key_end - key_begin};
  if (family.in_order && family.samples > 0 && key(family, line) < key(family, family.last)) {
    // The first line out of order: from now on every line is indexed for the sort.
    family.in_order = false;
    unseal(family);
    family.lines = index_lines(family.text);  // this line included
  } else if (!family.in_order) {
    family.lines.push_back(line);
  }
  family.last = line;
  ++family.samples;
  ++samples_;
  if (gzip_ && family.in_order) seal_full_blocks(family);
}

// Every block but the last: it holds `last`, which the next sample's order check reads.
void ExpositionWriter::seal_full_blocks(Family& family) {
  while (family.sealed.size() + 1 < family.text.block_count()) {
    const std::size_t i = family.sealed.size();
    family.sealed.push_back(gzip_->add(family.text.block(i)));
    family.text.release(i);
  }
}

// A family that turns out of order is sorted from its text: its sealed blocks come back.
void ExpositionWriter::unseal(Family& family) {
  for (std::size_t i = 0; i < family.sealed.size(); ++i) {
    family.text.restore(i, gzip_->text_of(family.sealed[i]));
  }
  family.sealed.clear();
}

std::string_view ExpositionWriter::key(const Family& family, const Line& line) {
  return family.text.view(line.text).substr(line.key_begin, line.key_length);
}

std::pair<std::uint32_t, std::uint32_t> ExpositionWriter::sort_key_of(std::string_view line) {
  // The rule of sample(), read back from the text: from '{' to the end of the last label
  // that is not le/quantile; empty without labels. Label names have no '=' or '"'; a '"' in
  // a value is escaped.
  const std::size_t open = line.find_first_of("{ ");
  if (open == std::string_view::npos) return {0, 0};
  std::size_t key_end = open;
  if (line[open] == '{') {
    std::size_t i = open + 1;
    while (i < line.size() && line[i] != '}') {
      const std::size_t eq = line.find('=', i);
      if (eq == std::string_view::npos) break;
      const std::string_view name = line.substr(i, eq - i);
      std::size_t j = eq + 2;  // after ="
      while (j < line.size() && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
      ++j;  // after the closing quote
      if (name != "le" && name != "quantile") key_end = j;
      i = j < line.size() && line[j] == ',' ? j + 1 : j;
    }
  }
  return {static_cast<std::uint32_t>(open), static_cast<std::uint32_t>(key_end - open)};
}

std::vector<ExpositionWriter::Line> ExpositionWriter::index_lines(const TextBlocks& text) {
  std::vector<Line> lines;
  for (std::uint32_t b = 0; b < text.block_count(); ++b) {
    const std::string_view block = text.block(b);
    for (std::size_t begin = 0; begin < block.size();) {
      const std::size_t end = block.find('\n', begin) + 1;  // every line ends with '\n'
      const auto [key_begin, key_length] = sort_key_of(block.substr(begin, end - begin));
      lines.push_back(Line{{b, static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end - begin)},
                           key_begin, key_length});
      begin = end;
    }
  }
  return lines;
}

std::string ExpositionWriter::header_of(const std::string& name, const Family& family) {
  std::string header = "# HELP ";
  header += name;
  header += ' ';
  append_escaped_help(header, family.help);
  header += "\n# TYPE ";
  header += name;
  header += ' ';
  header += type_name(family.type);
  header += '\n';
  return header;
}

std::vector<std::string> ExpositionWriter::unsealed_blocks(Family& family) {
  if (family.in_order) {
    // The lines fill the blocks in write order: the blocks are the pieces as they are.
    std::vector<std::string> blocks = family.text.take();
    blocks.erase(blocks.begin(), blocks.begin() + static_cast<std::ptrdiff_t>(family.sealed.size()));
    return blocks;
  }
  std::stable_sort(family.lines.begin(), family.lines.end(),
                   [&](const Line& a, const Line& b) { return key(family, a) < key(family, b); });
  TextBlocks sorted;
  for (const Line& line : family.lines) sorted.append(family.text.view(line.text));
  return sorted.take();
}

void ExpositionWriter::reset() {
  families_.clear();
  current_ = nullptr;
  current_name_.clear();
  samples_ = 0;
}

std::vector<std::string> ExpositionWriter::finish_pieces() {
  if (gzip_) throw std::logic_error("finish_pieces after deflate_into: use finish_gzip");
  std::vector<std::string> pieces;
  for (auto it = families_.begin(); it != families_.end(); it = families_.erase(it)) {
    Family& family = it->second;
    if (family.samples == 0) continue;
    pieces.push_back(header_of(it->first, family));
    std::vector<std::string> blocks = unsealed_blocks(family);
    pieces.insert(pieces.end(), std::make_move_iterator(blocks.begin()),
                  std::make_move_iterator(blocks.end()));
    // Erasing the family (the loop's increment) frees what is left of it before the next one.
  }
  reset();
  return pieces;
}

std::string ExpositionWriter::finish_gzip(std::size_t* plain_size) {
  if (!gzip_) throw std::logic_error("finish_gzip without deflate_into");
  std::vector<GzipPieces::Ticket> order;
  for (auto it = families_.begin(); it != families_.end(); it = families_.erase(it)) {
    Family& family = it->second;
    if (family.samples == 0) continue;
    order.push_back(gzip_->add(header_of(it->first, family)));
    order.insert(order.end(), family.sealed.begin(), family.sealed.end());
    for (const std::string& block : unsealed_blocks(family)) order.push_back(gzip_->add(block));
  }
  reset();
  return gzip_->assemble(order, plain_size);
}

std::string ExpositionWriter::finish() {
  const std::vector<std::string> pieces = finish_pieces();
  std::size_t total = 0;
  for (const std::string& piece : pieces) total += piece.size();
  std::string out;
  out.reserve(total);
  for (const std::string& piece : pieces) out += piece;
  return out;
}

}  // namespace ks::prom
