// A /metrics body deflated as it is written (ExpositionWriter::deflate_into): a render
// holds one text block per family and the deflated pieces, not the body's text, and the
// cache keeps the gzip only (the plain text is inflated from it: GunzipStream). At 20,000
// groups x 10 partitions the text is ~100 MB (docs/performance.md).
#include <catch2/catch.hpp>

#include <zlib.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "exporters/prometheus/exposition_writer.hpp"
#include "exporters/prometheus/group_metrics.hpp"
#include "exporters/prometheus/gunzip_stream.hpp"
#include "exporters/prometheus/gzip_pieces.hpp"
#include "exporters/prometheus/text_blocks.hpp"
#include "tests/unit/group_fixtures.hpp"
#include "tests/unit/heap_counter.hpp"

using ks::prom::ExpositionWriter;
using ks::prom::GunzipStream;
using ks::prom::GzipPieces;
using ks::prom::MetricType;

using ks::testing::big_snapshot;

namespace {

// Inflated through GunzipStream in chunks of `chunk` bytes.
std::string gunzip(const std::string& gz, std::size_t chunk = 100'000) {
  GunzipStream stream(gz);
  std::string out;
  for (std::string_view part = stream.next(chunk); !part.empty(); part = stream.next(chunk)) {
    CHECK(part.size() <= chunk);
    out += part;
  }
  CHECK(stream.produced() == out.size());
  return out;
}

// A family written in order for more than one block, then out of order (its deflated
// blocks come back to be sorted), and a small one.
void render_mixed(ExpositionWriter& w) {
  w.family("z_late", "goes out of order late", MetricType::gauge);
  for (int i = 0; i < 40000; ++i) w.sample({{"id", "n" + std::to_string(100000 + i)}}, i);
  w.sample({{"id", "a"}}, 1);
  w.family("a_small", "in order", MetricType::counter);
  w.sample({{"x", "1"}}, 2);
}

}  // namespace

TEST_CASE("a body deflated as it is written is the gzip of the sorted exposition",
          "[exposition][gzip]") {
  const ks::GroupsSnapshot snapshot = big_snapshot(300, 24);
  ExpositionWriter plain;
  ks::prom::render_groups(snapshot, plain);
  render_mixed(plain);
  const std::string expected = plain.finish();

  GzipPieces gzip;
  ExpositionWriter w;
  w.deflate_into(gzip);
  ks::prom::render_groups(snapshot, w);
  render_mixed(w);
  std::size_t plain_size = 0;
  const std::string gz = w.finish_gzip(&plain_size);
  CHECK(plain_size == expected.size());
  CHECK(gunzip(gz) == expected);
  CHECK(gunzip(gz, 7) .size() == expected.size());  // any chunk size
  CHECK(gzip.deflated() > 10);

  // The same body again: every piece reused, not deflated again.
  ExpositionWriter again;
  again.deflate_into(gzip);
  ks::prom::render_groups(snapshot, again);
  render_mixed(again);
  CHECK(again.finish_gzip() == gz);
  CHECK(gzip.deflated() == 0);
  CHECK_THROWS_AS(again.finish_pieces(), std::logic_error);
}

TEST_CASE("rendering deflated as written holds a small part of the body's text",
          "[exposition][gzip][memory]") {
  // 1,500 groups x 24 partitions: 36,000 partitions, ~15 MB of text.
  const ks::GroupsSnapshot snapshot = big_snapshot(1500, 24);
  GzipPieces gzip;
  const std::size_t before = ks::test::heap_bytes_now();
  ks::test::reset_heap_peak();
  std::size_t body_size = 0;
  std::size_t gzip_size = 0;
  {
    ExpositionWriter w;
    w.deflate_into(gzip);
    ks::prom::render_groups(snapshot, w);
    gzip_size = w.finish_gzip(&body_size).size();
  }
  const std::size_t peak = ks::test::heap_bytes_peak() - before;
  INFO("body " << body_size << " B, gzip " << gzip_size << " B, peak heap " << peak << " B");
  CHECK(body_size > 12'000'000);
  // The deflated pieces (kept for the next render) and their assembled gzip, one open
  // block per family (at most kMaxBlock each) and deflate's state. Writing the text whole
  // and compressing it after needed the body's size and more (test_exposition_memory).
  CHECK(peak < body_size / 4);
}

TEST_CASE("a corrupt gzip body is an error, not a short body", "[exposition][gzip]") {
  GzipPieces gzip;
  std::string gz = gzip.compress(std::vector<std::string>{std::string(100000, 'x')});
  gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x55);
  gz.resize(gz.size() - 3);
  CHECK_THROWS_AS(gunzip(gz), std::runtime_error);
}

TEST_CASE("a render left unfinished does not leak into the next body", "[exposition][gzip]") {
  GzipPieces gzip;
  {
    ExpositionWriter abandoned;  // a renderer threw: finish_gzip never called
    abandoned.deflate_into(gzip);
    render_mixed(abandoned);
  }
  ExpositionWriter plain;
  render_mixed(plain);
  const std::string expected = plain.finish();
  ExpositionWriter w;
  w.deflate_into(gzip);
  render_mixed(w);
  CHECK(gunzip(w.finish_gzip()) == expected);
  // The abandoned body's pieces are kept for reuse, never counted into this one: at most
  // what a fresh compressor deflates.
  GzipPieces fresh;
  ExpositionWriter f;
  f.deflate_into(fresh);
  render_mixed(f);
  CHECK(gunzip(f.finish_gzip()) == expected);
  CHECK(gzip.deflated() + gzip.reused() == fresh.deflated() + fresh.reused());
  CHECK(gzip.deflated() <= fresh.deflated());
}
