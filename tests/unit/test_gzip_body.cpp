// The cached gzip body in parts shared with GzipPieces (gzip_body.hpp): the compressed body
// is held once, not once in the cache and once more in the pieces kept for the next render,
// and it serves the same bytes, gzip'd (write_range) and plain (GunzipStream), as joined.
#include <catch2/catch.hpp>

#include <cstddef>
#include <set>
#include <string>
#include <string_view>

#include "exporters/prometheus/exposition_writer.hpp"
#include "exporters/prometheus/group_metrics.hpp"
#include "exporters/prometheus/gunzip_stream.hpp"
#include "exporters/prometheus/gzip_body.hpp"
#include "exporters/prometheus/gzip_pieces.hpp"
#include "tests/unit/group_fixtures.hpp"

using ks::prom::ExpositionWriter;
using ks::prom::GzipBody;
using ks::prom::GzipPieces;

namespace {

GzipBody render(const ks::GroupsSnapshot& s, GzipPieces& gzip, std::size_t* plain_size = nullptr) {
  ExpositionWriter w;
  w.deflate_into(gzip);
  ks::prom::render_groups(s, w);
  return w.finish_gzip_body(plain_size);
}

std::string plain(const ks::GroupsSnapshot& s) {
  ExpositionWriter w;
  ks::prom::render_groups(s, w);
  return w.finish();
}

}  // namespace

TEST_CASE("the cached gzip body shares its pieces with the ones kept for the next render",
          "[gzip]") {
  const ks::GroupsSnapshot s = ks::testing::big_snapshot(300, 10);
  GzipPieces gzip;
  const GzipBody first = render(s, gzip);
  const GzipBody second = render(s, gzip);  // nothing changed: every piece reused
  REQUIRE(first.parts().size() == second.parts().size());
  REQUIRE(first.parts().size() > 10);
  // Every piece of the two bodies is the same bytes in memory (the tail, with the CRC, is
  // made for each body; it is 10 bytes).
  std::size_t shared = 0;
  for (std::size_t i = 0; i + 1 < first.parts().size(); ++i) {
    if (first.parts()[i].get() == second.parts()[i].get()) ++shared;
  }
  CHECK(shared == first.parts().size() - 1);
  // And held by the pieces kept for the next render (the body is not a copy of them).
  CHECK(first.parts()[1].use_count() >= 3);
}

TEST_CASE("a gzip body in parts serves the bytes of its joined form, gzip and plain", "[gzip]") {
  const ks::GroupsSnapshot s = ks::testing::big_snapshot(200, 10);
  GzipPieces gzip;
  std::size_t plain_size = 0;
  const GzipBody body = render(s, gzip, &plain_size);
  const std::string joined = body.joined();
  CHECK(joined.size() == body.size());
  // Served in ranges that start and end inside parts, as an HTTP server asks for them.
  for (const std::size_t step : {std::size_t{1000}, std::size_t{65536}, body.size()}) {
    std::string served;
    for (std::size_t offset = 0; offset < body.size(); offset += step) {
      CHECK(body.write_range(offset, step, [&](std::string_view part) {
        served += part;
        return true;
      }));
    }
    CHECK(served == joined);
  }
  // Plain: inflated across the parts' boundaries.
  ks::prom::GunzipStream stream(body);
  std::string text;
  for (std::string_view part = stream.next(4096); !part.empty(); part = stream.next(4096)) text += part;
  CHECK(text == plain(s));
  CHECK(text.size() == plain_size);
}
