// A small, exact writer of the Prometheus text exposition format (version 0.0.4) for the
// large snapshot-derived families. Why not prometheus-cpp's serializer: at 100k series it
// spends ~400 ms and ~100 MB building ClientMetric objects (DESIGN.md); this writes the
// lines directly into each family's text blocks.
//
// Output is sorted by family name, then by label set (so it is diffable); HELP and TYPE
// are written once per family; label values and HELP text are escaped.
//
// Memory: the family buffers ARE the output. Each family's lines are kept in TextBlocks
// (never copied to grow); finish_pieces() hands the blocks over as pieces of the body (moved,
// not copied, when the samples were written in order, which the renderers do), so a body
// costs its size once, not two to three times (doubling buffers + a joined copy).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporters/prometheus/gzip_pieces.hpp"
#include "exporters/prometheus/text_blocks.hpp"

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

  // The whole exposition, sorted, as pieces to send one after the other: per family, its
  // HELP/TYPE lines, then its samples. Families without samples are left out. Resets the
  // writer. Each family's buffer is released as soon as it is handed over or sorted.
  std::vector<std::string> finish_pieces();
  // The same, joined into one string (tests, small bodies).
  std::string finish();

  // From now on, a family's text blocks are deflated into `gzip` as soon as they are full
  // (while its lines come in order) and their text freed: a render then holds the body's
  // text one block per family, not whole (~100 MB at 20,000 groups x 10 partitions).
  // finish_gzip() ends such a body; finish_pieces() and finish() may not be used.
  void deflate_into(GzipPieces& gzip) {
    gzip.begin();
    gzip_ = &gzip;
  }
  // The whole exposition as finish_pieces() has it, gzip'd (GzipPieces::assemble);
  // `plain_size` gets its uncompressed size. Resets the writer.
  std::string finish_gzip(std::size_t* plain_size = nullptr);

 private:
  struct Line {
    TextBlocks::Span text;                // the whole line
    std::uint32_t key_begin, key_length;  // in the line: the label set used for sorting
                                          // (without le/quantile)
  };
  struct Family {
    std::string help;
    MetricType type = MetricType::untyped;
    TextBlocks text;
    std::size_t samples = 0;
    Line last{};  // the newest line: do the lines still come in order?
    bool in_order = true;
    // Every line, for the sort; kept only once a line came out of order (renderers write in
    // order: an index of 20 B per series would be ~20% on top of the body for nothing).
    std::vector<Line> lines;
    // With deflate_into: the blocks already deflated (the first ones, released), in order.
    std::vector<GzipPieces::Ticket> sealed;
  };
  void seal_full_blocks(Family& family);
  void unseal(Family& family);
  static std::string header_of(const std::string& name, const Family& family);
  // The family's text blocks not sealed, in body order (sorted when written out of order).
  static std::vector<std::string> unsealed_blocks(Family& family);
  void reset();
  static std::string_view key(const Family& family, const Line& line);
  // The sort key of a written line, as sample() computed it: (begin, length) in the line.
  static std::pair<std::uint32_t, std::uint32_t> sort_key_of(std::string_view line);
  static std::vector<Line> index_lines(const TextBlocks& text);
  std::map<std::string, Family, std::less<>> families_;
  Family* current_ = nullptr;
  std::string current_name_;
  std::string line_;  // the sample being written, before it goes into its family's blocks
  std::size_t samples_ = 0;
  GzipPieces* gzip_ = nullptr;
};

// Escapes for label values: backslash, double quote and line feed; a byte that is not part
// of valid UTF-8 becomes U+FFFD (the format is UTF-8: Prometheus rejects the whole scrape).
void append_escaped_label_value(std::string& out, std::string_view value);
// Escapes for HELP text: backslash and line feed; invalid UTF-8 as for label values.
void append_escaped_help(std::string& out, std::string_view help);
// Go-compatible float text: integers without exponent where exact, +Inf, -Inf, NaN.
void append_value(std::string& out, double value);
std::string_view type_name(MetricType type);

}  // namespace ks::prom
