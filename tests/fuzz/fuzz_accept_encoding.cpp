// libFuzzer target: the Accept-Encoding parser of /metrics (agent/accept_encoding.hpp) on any
// header value. Properties beyond "no crash": the answer does not depend on letter case
// (codings and "q" are case-insensitive); a later "gzip" element decides over what came
// before (accepted without a weight, refused with q=0, as a client that lists gzip last
// means it); and a header without "gzip", "x-gzip" or "*" never gets gzip.
#include <algorithm>
#include <cctype>
#include <string>

#include "agent/accept_encoding.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

std::string cased(std::string_view s, int (*f)(int)) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(f(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const bool gzip = ks::accepts_gzip(header);
  KS_FUZZ_CHECK(ks::accepts_gzip(header) == gzip);
  KS_FUZZ_CHECK(ks::accepts_gzip(cased(header, ::toupper)) == gzip);
  KS_FUZZ_CHECK(ks::accepts_gzip(cased(header, ::tolower)) == gzip);
  KS_FUZZ_CHECK(ks::accepts_gzip(std::string(header) + ", gzip"));
  KS_FUZZ_CHECK(ks::accepts_gzip(std::string(header) + ",GZIP;q=0.5"));
  KS_FUZZ_CHECK(!ks::accepts_gzip(std::string(header) + ",gzip;q=0"));
  KS_FUZZ_CHECK(!ks::accepts_gzip(std::string(header) + ",x-gzip ; q=0.000"));
  const std::string lower = cased(header, ::tolower);
  if (lower.find("gzip") == std::string::npos && lower.find('*') == std::string::npos) {
    KS_FUZZ_CHECK(!gzip);
  }
  return 0;
}
