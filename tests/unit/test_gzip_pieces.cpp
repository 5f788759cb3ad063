#include <zlib.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "exporters/prometheus/gzip_pieces.hpp"

using ks::prom::GzipPieces;

namespace {

// Inflates a gzip stream with zlib's own reader; throws unless it is one complete member.
std::string gunzip(const std::string& gz) {
  z_stream s{};
  if (inflateInit2(&s, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2");
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  s.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  std::vector<char> block(64 * 1024);
  int rc = Z_OK;
  while (rc == Z_OK) {
    s.next_out = reinterpret_cast<Bytef*>(block.data());
    s.avail_out = static_cast<uInt>(block.size());
    rc = inflate(&s, Z_NO_FLUSH);
    out.append(block.data(), block.size() - s.avail_out);
  }
  const bool whole = rc == Z_STREAM_END && s.avail_in == 0;  // CRC and size checked by zlib
  inflateEnd(&s);
  if (!whole) throw std::runtime_error("not one complete gzip member: " + std::to_string(rc));
  return out;
}

std::string family(const std::string& name, int series, int value) {
  std::string text = "# TYPE " + name + " gauge\n";
  for (int i = 0; i < series; ++i) {
    text += name + "{consumergroup=\"g" + std::to_string(i) + "\",partition=\"" +
            std::to_string(i % 10) + "\"} " + std::to_string(value + i) + "\n";
  }
  return text;
}

std::string joined(const std::vector<std::string>& pieces) {
  std::string all;
  for (const std::string& p : pieces) all += p;
  return all;
}

}  // namespace

TEST_CASE("gzip of pieces is one gzip member of their concatenation", "[gzip]") {
  GzipPieces gzip;
  const std::vector<std::string> pieces{family("a_lag", 2000, 1), "", family("b_offset", 3, 7),
                                        family("c_seconds", 500, 40)};
  const std::string gz = gzip.compress(pieces);
  CHECK(gunzip(gz) == joined(pieces));
  CHECK(gz.size() * 5 < joined(pieces).size());  // still compressed ~10x
  CHECK(gzip.deflated() == 3);                   // the empty piece is skipped
  CHECK(gzip.reused() == 0);
  CHECK(gunzip(gzip.compress({})).empty());
}

TEST_CASE("gzip of pieces deflates only the pieces that changed since the last call", "[gzip]") {
  GzipPieces gzip;
  std::vector<std::string> pieces{family("a_lag", 2000, 1), family("b_offset", 300, 7),
                                  family("c_seconds", 500, 40)};
  const std::string first = gzip.compress(pieces);
  pieces[2] = family("c_seconds", 500, 55);  // the lag in seconds grew: only it changed
  const std::string second = gzip.compress(pieces);
  CHECK(gzip.reused() == 2);
  CHECK(gzip.deflated() == 1);
  CHECK(gunzip(second) == joined(pieces));
  CHECK(second != first);

  // The same text twice in one body, and a piece of the last-but-one body: each correct.
  pieces.push_back(pieces[0]);
  const std::string third = gzip.compress(pieces);
  CHECK(gunzip(third) == joined(pieces));
  CHECK(gzip.reused() == 4);
  pieces = {family("b_offset", 300, 7)};
  CHECK(gunzip(gzip.compress(pieces)) == joined(pieces));
  CHECK(gzip.reused() == 1);
}

TEST_CASE("gzip of pieces tells pieces of the same length apart", "[gzip]") {
  GzipPieces gzip;
  std::vector<std::string> pieces{"metric_a 1\n", "metric_b 2\n"};
  gzip.compress(pieces);
  pieces = {"metric_a 3\n", "metric_b 2\n"};  // same length, other text
  const std::string gz = gzip.compress(pieces);
  CHECK(gzip.reused() == 1);
  CHECK(gunzip(gz) == "metric_a 3\nmetric_b 2\n");
}
