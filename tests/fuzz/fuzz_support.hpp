// What every fuzz target shares: a property check that names what failed, and a reader that
// splits the fuzzer's bytes into the fields a structured target needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace ks::fuzz {

// A property violation: print which one and where, then abort (libFuzzer and the replay
// driver both report an abort as a failure and keep the input).
[[noreturn]] inline void property_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz property violated: %s (%s:%d)\n", what, file, line);
  std::abort();
}

#define KS_FUZZ_CHECK(cond) \
  ((cond) ? (void)0 : ::ks::fuzz::property_failed(#cond, __FILE__, __LINE__))

// Reads fields off the front of the input; past the end it yields zeros and empty strings,
// so every input maps to some case.
class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  // A field of up to `max` bytes: one length byte, then that many bytes (fewer at the end).
  std::string_view field(std::size_t max = 255) {
    std::size_t n = byte();
    if (n > max) n = max;
    if (n > rest_.size()) n = rest_.size();
    const std::string_view out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return out;
  }
  // Up to the next `separator` (consumed) or the end.
  std::string_view until(char separator) {
    const std::size_t at = rest_.find(separator);
    const std::string_view out = rest_.substr(0, at);
    rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + 1);
    return out;
  }
  std::string_view rest() {
    const std::string_view out = rest_;
    rest_ = {};
    return out;
  }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace ks::fuzz
