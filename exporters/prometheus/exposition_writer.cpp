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
  // Most label values (group, topic names) need no escape: copied as they are, at once
  // (one append per line instead of one per byte: the profile's render path).
  if (std::none_of(value.begin(), value.end(), [](char c) {
        return c == '\\' || c == '"' || c == '\n' || static_cast<unsigned char>(c) >= 0x80;
      })) {
    out.append(value);
    return;
  }
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

void append_milliseconds(std::string& out, double seconds) {
  if (!std::isfinite(seconds) || std::fabs(seconds) >= 1e12) {
    append_value(out, seconds);
    return;
  }
  long long ms = std::llround(seconds * 1000.0);
  if (ms < 0) {
    out += '-';
    ms = -ms;
  }
  const fmt::format_int whole(ms / 1000);
  out.append(whole.data(), whole.size());
  const auto frac = static_cast<int>(ms % 1000);
  if (frac == 0) return;
  const char digits[4] = {'.', static_cast<char>('0' + frac / 100),
                          static_cast<char>('0' + frac / 10 % 10), static_cast<char>('0' + frac % 10)};
  std::size_t n = 4;
  while (digits[n - 1] == '0') --n;
  out.append(digits, n);
}

void ExpositionWriter::family(std::string_view name, std::string_view help, MetricType type,
                              ValueFormat format) {
  if (current_ && current_name_ == name) return;
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.help = std::string(help);
    it->second.type = type;
    it->second.format = format;
  }
  current_ = &it->second;
  current_name_ = std::string(name);
}

namespace {

// Appends "{name=\"value\",...}" (nothing without labels); returns the end of the sort key
// in `text`: the end of the last label that is not le/quantile (buckets keep the order they
// were written in).
std::size_t append_labels(std::string& text, std::span<const Label> labels) {
  std::size_t key_end = text.size();
  if (labels.empty()) return key_end;
  text += '{';
  bool first = true;
  for (const Label& label : labels) {
    const bool ordinal = label.name == "le" || label.name == "quantile";
    if (!first) text += ',';
    first = false;
    text += label.name;
    text += "=\"";
    append_escaped_label_value(text, label.value);
    text += '"';
    if (!ordinal) key_end = text.size();
  }
  text += '}';
  return key_end;
}

}  // namespace

std::string ExpositionWriter::key_of(std::span<const Label> labels) {
  std::string text;
  text.resize(append_labels(text, labels));
  return text;
}

std::string_view ExpositionWriter::previous_key(const Family& family) {
  return family.last_in_text ? key(family, family.last) : std::string_view(family.last_key);
}

void ExpositionWriter::sample(std::span<const Label> labels, double value,
                              std::string_view suffix) {
  if (!current_) return;  // a sample without family is a programming error; drop it
  std::string& text = line_;
  text.clear();
  text += current_name_;
  text += suffix;
  const auto key_begin = static_cast<std::uint32_t>(text.size());
  const auto key_end = static_cast<std::uint32_t>(append_labels(text, labels));
  text += ' ';
  Family& family = *current_;
  if (family.format == ValueFormat::milliseconds) {
    append_milliseconds(text, value);
  } else {
    append_value(text, value);
  }
  text += '\n';
  const Line line{family.text.append(text), key_begin, key_end - key_begin};
  if (family.in_order && family.samples > 0 && key(family, line) < previous_key(family)) {
    // The first line out of order: from now on every line is indexed for the sort.
    family.in_order = false;
    unseal(family);
    family.lines = index_lines(family.text);  // this line included
  } else if (!family.in_order) {
    family.lines.push_back(line);
  }
  family.last = line;
  family.last_in_text = true;
  ++family.samples;
  ++samples_;
  if (gzip_ && family.in_order && !family.in_piece) seal_full_blocks(family);
}

// Every block but the last: it holds `last`, which the next sample's order check reads.
void ExpositionWriter::seal_full_blocks(Family& family) {
  while (family.blocks_sealed + 1 < family.text.block_count()) {
    const std::size_t i = family.blocks_sealed++;
    family.sealed.push_back(gzip_->add(family.text.block(i)));
    family.text.release(i);
  }
}

// Every block, the last one too (its newest line's key kept for the order check): what
// comes next is a piece of its own.
void ExpositionWriter::seal_all_blocks(Family& family) {
  if (family.last_in_text && family.samples > 0) {
    family.last_key = std::string(key(family, family.last));
    family.last_in_text = false;
  }
  for (; family.blocks_sealed < family.text.block_count(); ++family.blocks_sealed) {
    const std::size_t i = family.blocks_sealed;
    if (!family.text.block(i).empty()) family.sealed.push_back(gzip_->add(family.text.block(i)));
    family.text.release(i);
  }
}

bool ExpositionWriter::reuse_piece(std::uint64_t fingerprint, std::size_t samples,
                                   std::span<const Label> first, std::span<const Label> last) {
  if (!gzip_ || !current_ || samples == 0) return false;
  Family& family = *current_;
  if (!family.in_order || family.in_piece) return false;
  // The run was in order inside when it was written (else it had no fingerprint); whether
  // it still follows the family's newest line in order is checked here.
  if (family.samples > 0 && key_of(first) < previous_key(family)) return false;
  const std::optional<GzipPieces::Ticket> ticket = gzip_->reuse(fingerprint);
  if (!ticket) return false;
  seal_all_blocks(family);  // the text before the run, in its place
  family.sealed.push_back(*ticket);
  family.last_key = key_of(last);
  family.last_in_text = false;
  family.samples += samples;
  samples_ += samples;
  return true;
}

void ExpositionWriter::begin_piece() {
  if (!gzip_ || !current_) return;
  Family& family = *current_;
  if (!family.in_order || family.in_piece) return;
  seal_all_blocks(family);
  family.in_piece = true;
  family.piece_block = family.text.block_count();
}

void ExpositionWriter::end_piece(std::uint64_t fingerprint) {
  if (!gzip_ || !current_) return;
  Family& family = *current_;
  if (!family.in_piece) return;
  family.in_piece = false;
  // Out of order meanwhile: its text stays to be sorted, and is no piece of its own.
  if (!family.in_order || family.piece_block == family.text.block_count()) return;
  family.last_key = std::string(key(family, family.last));
  family.last_in_text = false;
  const std::size_t end = family.text.block_count();
  if (end - family.piece_block == 1) {
    family.sealed.push_back(gzip_->add(family.text.block(family.piece_block), fingerprint));
  } else {
    std::string joined;  // a piece larger than a block: one piece all the same
    for (std::size_t i = family.piece_block; i < end; ++i) joined += family.text.block(i);
    family.sealed.push_back(gzip_->add(joined, fingerprint));
  }
  for (std::size_t i = family.piece_block; i < end; ++i) family.text.release(i);
  family.blocks_sealed = end;
}

// A family that turns out of order is sorted from its text: what was deflated comes back
// (inflated: a rare path), in order, before the blocks not deflated yet.
void ExpositionWriter::unseal(Family& family) {
  if (family.sealed.empty()) return;
  TextBlocks text;
  for (const GzipPieces::Ticket ticket : family.sealed) text.append(gzip_->text_of(ticket));
  for (std::size_t i = family.blocks_sealed; i < family.text.block_count(); ++i) {
    text.append(family.text.block(i));  // whole lines: a line never straddles two blocks
  }
  family.text = std::move(text);
  family.sealed.clear();
  family.blocks_sealed = 0;
  family.last_in_text = true;
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
    blocks.erase(blocks.begin(), blocks.begin() + static_cast<std::ptrdiff_t>(family.blocks_sealed));
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

GzipBody ExpositionWriter::finish_gzip_body(std::size_t* plain_size) {
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
  return gzip_->assemble_body(order, plain_size);
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
