// What a /metrics render costs in memory: the writer keeps sample lines in blocks that never
// move, hands them over as the body's pieces without joining them, and gzip streams over
// them. So rendering needs about the body's size once (the agent's RSS target at 1,000
// groups depends on it), not two to three times as with a doubling buffer per family, a
// joined copy and a deflateBound-sized gzip buffer.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <cstring>
#include <string>
#include <vector>

#include "exporters/prometheus/exposition_body.hpp"
#include "exporters/prometheus/exposition_writer.hpp"
#include "exporters/prometheus/group_metrics.hpp"
#include "exporters/prometheus/gzip.hpp"
#include "exporters/prometheus/text_blocks.hpp"
#include "tests/unit/group_fixtures.hpp"
#include "tests/unit/heap_counter.hpp"

using ks::prom::ExpositionBody;
using ks::prom::ExpositionWriter;
using ks::prom::MetricType;
using ks::prom::TextBlocks;

using ks::testing::big_snapshot;

namespace {

std::string gunzip(const std::string& gz) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
  std::string out;
  std::vector<char> block(64 * 1024);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  stream.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(block.data());
    stream.avail_out = static_cast<uInt>(block.size());
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(block.data(), block.size() - stream.avail_out);
  }
  inflateEnd(&stream);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

}  // namespace

TEST_CASE("text blocks never move what they hold and stay bounded", "[exposition][memory]") {
  TextBlocks blocks;
  std::vector<std::pair<TextBlocks::Span, const char*>> written;
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    const std::string line = "line_" + std::to_string(i) + std::string(i % 97, 'x') + "\n";
    const TextBlocks::Span span = blocks.append(line);
    written.emplace_back(span, blocks.view(span).data());
    expected += line;
  }
  CHECK(blocks.size() == expected.size());
  for (const auto& [span, data] : written) CHECK(blocks.view(span).data() == data);  // not moved
  const std::vector<std::string> taken = blocks.take();
  std::string joined;
  std::size_t capacity = 0;
  for (const std::string& b : taken) {
    CHECK(b.size() <= TextBlocks::kMaxBlock);
    capacity += b.capacity();
    joined += b;
  }
  CHECK(joined == expected);
  // Unused capacity: less than one line per block (the last block is trimmed).
  CHECK(capacity - expected.size() <= taken.size() * 128);
  CHECK(blocks.size() == 0);
  CHECK(blocks.block_count() == 0);
}

TEST_CASE("a line longer than a block gets a block of its own", "[exposition][memory]") {
  TextBlocks blocks;
  blocks.append("a\n");
  const std::string huge(TextBlocks::kMaxBlock * 2, 'h');
  const TextBlocks::Span span = blocks.append(huge);
  CHECK(blocks.view(span) == huge);
  CHECK(blocks.take().size() == 2);
}

TEST_CASE("the body comes in bounded pieces equal to the sorted exposition", "[exposition][memory]") {
  const ks::GroupsSnapshot snapshot = big_snapshot(100, 24);
  ExpositionWriter joined_writer;
  ks::prom::render_groups(snapshot, joined_writer);
  const std::string text = joined_writer.finish();

  ExpositionWriter w;
  ks::prom::render_groups(snapshot, w);
  const ExpositionBody body(w.finish_pieces());
  CHECK(body.size() == text.size());
  CHECK(body.joined() == text);
  CHECK(body.pieces().size() > 20);
  std::size_t capacity = 0;
  for (const std::string& piece : body.pieces()) {
    CHECK(piece.size() <= TextBlocks::kMaxBlock);  // never one buffer of the whole body
    capacity += piece.capacity();
  }
  CHECK(capacity <= text.size() + text.size() / 20 + body.pieces().size() * 64);

  // Any range reads back as the same bytes (how the HTTP server sends it).
  for (const auto& [offset, length] : std::vector<std::pair<std::size_t, std::size_t>>{
           {0, text.size()}, {1, 10}, {5000, 300000}, {text.size() - 3, 3}, {text.size() - 3, 100}}) {
    std::string got;
    CHECK(body.write_range(offset, length, [&](std::string_view part) {
      got += part;
      return true;
    }));
    CHECK(got == text.substr(offset, length));
  }
  int calls = 0;
  CHECK_FALSE(body.write_range(0, text.size(), [&](std::string_view) { return ++calls < 2; }));
  CHECK(calls == 2);

  // gzip over the pieces is the gzip of the whole text.
  CHECK(gunzip(ks::prom::gzip_compress(body.pieces())) == text);
  CHECK(gunzip(ks::prom::gzip_compress(text)) == text);
}

TEST_CASE("families written out of order are sorted into bounded pieces", "[exposition][memory]") {
  ExpositionWriter w;
  w.family("x", "help", MetricType::gauge);
  for (int i = 30000; i > 0; --i) w.sample({{"id", std::to_string(i)}}, i);
  const ExpositionBody body(w.finish_pieces());
  for (const std::string& piece : body.pieces()) CHECK(piece.size() <= TextBlocks::kMaxBlock);
  const std::string text = body.joined();
  CHECK(text.starts_with("# HELP x help\n# TYPE x gauge\nx{id=\"1\"} 1\nx{id=\"10\"} 10\n"));
  CHECK(text.ends_with("x{id=\"9999\"} 9999\n"));
}

TEST_CASE("rendering a body and its gzip needs about the body's size in memory",
          "[exposition][memory]") {
  // 400 groups x 24 partitions: ~40k series, ~4 MB of text.
  const ks::GroupsSnapshot snapshot = big_snapshot(400, 24);
  const std::size_t before = ks::test::heap_bytes_now();
  ks::test::reset_heap_peak();
  std::size_t body_size = 0;
  std::size_t gzip_size = 0;
  {
    ExpositionWriter w;
    ks::prom::render_groups(snapshot, w);
    const ExpositionBody body(w.finish_pieces());
    const std::string gz = ks::prom::gzip_compress(body.pieces());
    body_size = body.size();
    gzip_size = gz.size();
  }
  const std::size_t peak = ks::test::heap_bytes_peak() - before;
  INFO("body " << body_size << " B, gzip " << gzip_size << " B, peak heap " << peak << " B");
  CHECK(body_size > 3'000'000);
  // The body, its gzip, each family's unused block tail and deflate's state (~300 KiB); no
  // line index (the renderers write in order). Measured: 1.2 times the body. Doubling
  // buffers per family, a line index, a joined copy and a deflateBound-sized gzip buffer
  // needed over 3 times the body.
  CHECK(peak < body_size + body_size / 4 + gzip_size + 1'000'000);
  CHECK(ks::test::heap_bytes_now() <= before + 4096);  // all of it released
}

TEST_CASE("a family that goes out of order late is sorted by the same keys", "[exposition][memory]") {
  // In order at first (no line index), then out of order: the index is rebuilt from the
  // text, escapes and le labels included, and sorts as the keys sample() computes.
  ExpositionWriter w;
  w.family("h", "help", MetricType::histogram);
  w.sample({{"a", "q\"}"}, {"le", "1"}}, 1, "_bucket");
  w.sample({{"a", "q\"}"}, {"le", "+Inf"}}, 2, "_bucket");
  w.sample({{"a", "z\\"}, {"le", "1"}}, 3, "_bucket");
  w.sample({{"a", "b,c=\"d\""}, {"le", "1"}}, 4, "_bucket");  // out of order from here
  w.sample({{"a", "b,c=\"d\""}, {"le", "+Inf"}}, 5, "_bucket");
  w.sample({}, 6, "_count");
  CHECK(w.finish() ==
        "# HELP h help\n# TYPE h histogram\n"
        "h_count 6\n"
        "h_bucket{a=\"b,c=\\\"d\\\"\",le=\"1\"} 4\n"
        "h_bucket{a=\"b,c=\\\"d\\\"\",le=\"+Inf\"} 5\n"
        "h_bucket{a=\"q\\\"}\",le=\"1\"} 1\n"
        "h_bucket{a=\"q\\\"}\",le=\"+Inf\"} 2\n"
        "h_bucket{a=\"z\\\\\",le=\"1\"} 3\n");
}
