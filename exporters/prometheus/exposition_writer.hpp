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

// How a family's values are written: the shortest text that reads back as the same double,
// or seconds at millisecond resolution (append_milliseconds).
enum class ValueFormat { shortest, milliseconds };

struct Label {
  std::string_view name;
  std::string_view value;
};

class ExpositionWriter {
 public:
  // Selects family `name` for the following samples. HELP/TYPE of the first call win;
  // calling it again for the same name continues that family.
  void family(std::string_view name, std::string_view help, MetricType type,
              ValueFormat format = ValueFormat::shortest);

  // A sample of the selected family. `suffix` is for histogram/summary parts
  // ("_bucket", "_sum", "_count"); a label named "le" or "quantile" should come last.
  void sample(std::span<const Label> labels, double value, std::string_view suffix = {});
  void sample(std::initializer_list<Label> labels, double value, std::string_view suffix = {}) {
    sample(std::span<const Label>(labels.begin(), labels.size()), value, suffix);
  }

  std::size_t sample_count() const { return samples_; }

  // Runs of samples decided from their inputs (with deflate_into; the consumer-groups
  // families): the caller fingerprints a run of the selected family's samples from
  // everything their text is made of (labels, values, family) and
  // - reuse_piece(): when the last body had a run of that fingerprint, its deflated bytes
  //   stand for the run and the caller writes none of its samples (returns true). `first`
  //   and `last` are the labels of the run's first and last sample: the family must still
  //   come in order with them (else false, and the caller writes the samples);
  // - otherwise writes the samples between begin_piece() and end_piece(fingerprint), which
  //   deflates them as one piece the next body may reuse.
  // Without deflate_into, reuse_piece() is false and the others do nothing.
  bool reuses_pieces() const { return gzip_ != nullptr; }
  bool reuse_piece(std::uint64_t fingerprint, std::size_t samples, std::span<const Label> first,
                   std::span<const Label> last);
  void begin_piece();
  void end_piece(std::uint64_t fingerprint);

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
  GzipBody finish_gzip_body(std::size_t* plain_size = nullptr);
  // The same, joined into one string (tests, small bodies).
  std::string finish_gzip(std::size_t* plain_size = nullptr) {
    return finish_gzip_body(plain_size).joined();
  }

 private:
  struct Line {
    TextBlocks::Span text;                // the whole line
    std::uint32_t key_begin, key_length;  // in the line: the label set used for sorting
                                          // (without le/quantile)
  };
  struct Family {
    std::string help;
    MetricType type = MetricType::untyped;
    ValueFormat format = ValueFormat::shortest;
    TextBlocks text;
    std::size_t samples = 0;
    Line last{};  // the newest line: do the lines still come in order?
    // The newest line's sort key when it is no longer in `text` (sealed in or reused with a
    // piece): last_in_text false.
    std::string last_key;
    bool last_in_text = true;
    bool in_order = true;
    bool in_piece = false;          // between begin_piece and end_piece
    std::size_t piece_block = 0;    // the piece's first text block
    std::size_t blocks_sealed = 0;  // text blocks [0, blocks_sealed) are deflated (released)
    // Every line, for the sort; kept only once a line came out of order (renderers write in
    // order: an index of 20 B per series would be ~20% on top of the body for nothing).
    std::vector<Line> lines;
    // With deflate_into: the text already deflated (the first blocks, released, and the
    // pieces), in order.
    std::vector<GzipPieces::Ticket> sealed;
  };
  void seal_full_blocks(Family& family);
  void seal_all_blocks(Family& family);
  void unseal(Family& family);
  static std::string_view previous_key(const Family& family);
  // The sort key of a sample with these labels (as sample() writes it).
  static std::string key_of(std::span<const Label> labels);
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
// Seconds rounded to the millisecond, written with integer formatting: "12.345", "12.5",
// "3600" (no trailing zeros); not finite or huge values as append_value.
void append_milliseconds(std::string& out, double seconds);
std::string_view type_name(MetricType type);

}  // namespace ks::prom
