#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "events/spool.hpp"

namespace fs = std::filesystem;
using ks::events::Spool;
using ks::events::SpoolLimits;
using ks::events::SpoolRecord;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    static std::atomic<int> counter{0};
    path = fs::temp_directory_path() /
           ("ks-spool-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

using Batch = std::vector<std::pair<std::string, std::string>>;

Batch batch(int from, int to) {
  Batch b;
  for (int i = from; i < to; ++i) {
    b.emplace_back("key-" + std::to_string(i % 3), "{\"event\":" + std::to_string(i) + "}");
  }
  return b;
}

std::vector<std::string> values(const std::vector<SpoolRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.value);
  return out;
}

std::vector<std::string> expected(int from, int to) {
  std::vector<std::string> out;
  for (const auto& kv : batch(from, to)) out.push_back(kv.second);
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
}

std::size_t damaged_copies(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    n += e.path().filename().string().starts_with("events.spool.damaged-") ? 1 : 0;
  }
  return n;
}

}  // namespace

TEST_CASE("spool: append, peek in order, acknowledge, reopen", "[events]") {
  TempDir dir;
  std::uint64_t next = 0;
  {
    Spool spool(dir.path, {});
    CHECK(!spool.recovery().damaged());
    CHECK(spool.depth() == 0);
    const auto a = spool.append(batch(0, 5));
    CHECK(a.seqs == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
    CHECK(a.dropped.empty());
    CHECK(spool.depth() == 5);
    CHECK(spool.bytes() > 0);
    const auto first = spool.peek(3, SIZE_MAX);
    CHECK(values(first) == expected(0, 3));
    CHECK(first[0].key == "key-0");
    CHECK(first[0].first_attempt_ms == 0);
    spool.mark_attempted({1, 2, 3}, 1234);
    spool.acknowledge({1, 2});
    CHECK(spool.depth() == 3);
    next = spool.next_seq();
  }
  {
    Spool spool(dir.path, {});
    CHECK(!spool.recovery().damaged());
    CHECK(spool.recovery().records == 3);
    CHECK(spool.recovery().attempted == 1);
    const auto rest = spool.pending();
    CHECK(values(rest) == expected(2, 5));
    CHECK(rest[0].seq == 3);
    CHECK(rest[0].first_attempt_ms == 1234);  // in doubt: sent once, not acknowledged
    CHECK(rest[1].first_attempt_ms == 0);
    CHECK(spool.next_seq() == next);
    // Out-of-order acknowledgements.
    spool.acknowledge({5});
    CHECK(values(spool.pending()) == expected(2, 4));
    spool.acknowledge({3, 4});
    CHECK(spool.depth() == 0);
    // Drained: the files are reset.
    CHECK(spool.file_bytes() == 20);
    CHECK(fs::file_size(dir.path / "events.acks") == 8);
    // Sequence numbers keep growing after a reset and a reopen.
    CHECK(spool.append(batch(5, 6)).seqs == std::vector<std::uint64_t>{6});
  }
  Spool spool(dir.path, {});
  CHECK(values(spool.pending()) == expected(5, 6));
  CHECK(spool.pending()[0].seq == 6);
  CHECK(spool.append(batch(6, 7)).seqs == std::vector<std::uint64_t>{7});
}

TEST_CASE("spool: peek honours the byte budget but returns at least one record", "[events]") {
  TempDir dir;
  Spool spool(dir.path, {});
  spool.append(batch(0, 10));
  CHECK(spool.peek(100, 1).size() == 1);
  const std::size_t one = spool.bytes() / 10;
  CHECK(spool.peek(100, 3 * one).size() == 3);
  CHECK(spool.peek(100, SIZE_MAX).size() == 10);
}

TEST_CASE("spool: full spool drops the oldest, counts them, and remembers", "[events]") {
  TempDir dir;
  {
    Spool spool(dir.path, SpoolLimits{1 << 20, 5});
    spool.append(batch(0, 4));
    const auto a = spool.append(batch(4, 7));
    REQUIRE(a.dropped.size() == 2);
    CHECK(a.dropped[0].value == expected(0, 1)[0]);
    CHECK(a.dropped[1].seq == 2);
    CHECK(spool.depth() == 5);
    CHECK(spool.dropped_total() == 2);
    CHECK(values(spool.pending()) == expected(2, 7));
  }
  {
    Spool spool(dir.path, SpoolLimits{1 << 20, 5});
    CHECK(values(spool.pending()) == expected(2, 7));  // drops are durable
    CHECK(spool.dropped_total() == 0);
  }
  {
    // Lower limits at the next start: dropped at open, reported.
    Spool spool(dir.path, SpoolLimits{1 << 20, 2});
    CHECK(spool.recovery().dropped_over_limits == 3);
    CHECK(spool.recovery().damaged());
    CHECK(values(spool.pending()) == expected(5, 7));
  }
  {
    // By bytes.
    TempDir other;
    Spool spool(other.path, SpoolLimits{200, 1000});
    const auto a = spool.append(batch(0, 10));
    CHECK(spool.bytes() <= 200);
    CHECK(a.dropped.size() + spool.depth() == 10);
    CHECK(!a.dropped.empty());
    // One record bigger than the whole spool is refused.
    CHECK_THROWS_AS(spool.append({{"k", std::string(300, 'x')}}), ks::events::SpoolError);
  }
}

TEST_CASE("spool: a second process cannot open the same spool", "[events]") {
  TempDir dir;
  Spool spool(dir.path, {});
  CHECK_THROWS_WITH(Spool(dir.path, {}), Catch::Contains("in use by another process"));
}

TEST_CASE("spool: the durable callback runs after the fsync, with the sequence numbers",
          "[events]") {
  TempDir dir;
  Spool spool(dir.path, {});
  std::vector<std::uint64_t> seen;
  spool.append(batch(0, 3), [&](const std::vector<std::uint64_t>& seqs) {
    seen = seqs;
    // What is visible on disk now survives a crash.
    CHECK(fs::file_size(dir.path / "events.spool") > 20);
  });
  CHECK(seen == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("spool: a truncated last record, cut at every byte, loses only that record",
          "[events]") {
  TempDir dir;
  std::string full;
  std::int64_t last_start = 0;
  {
    Spool spool(dir.path, {});
    spool.append(batch(0, 2));
    last_start = spool.file_bytes();
    spool.append(batch(2, 3));
    full = read_file(dir.path / "events.spool");
  }
  const std::string acks = read_file(dir.path / "events.acks");
  REQUIRE(static_cast<std::int64_t>(full.size()) > last_start + 20);
  for (std::int64_t cut = last_start; cut < static_cast<std::int64_t>(full.size()); ++cut) {
    INFO("cut at byte " << cut << " of " << full.size());
    TempDir copy;
    fs::create_directories(copy.path);
    write_file(copy.path / "events.spool", full.substr(0, static_cast<std::size_t>(cut)));
    write_file(copy.path / "events.acks", acks);
    {
      Spool spool(copy.path, {});
      const auto& r = spool.recovery();
      CHECK(values(spool.pending()) == expected(0, 2));
      if (cut == last_start) {
        CHECK(!r.damaged());  // cut exactly between records: nothing to report
      } else {
        CHECK(r.damaged());
        CHECK(r.truncated_tail);
        CHECK(r.damaged_regions == 1);
        CHECK(r.discarded_bytes == static_cast<std::uint64_t>(cut - last_start));
        CHECK(damaged_copies(copy.path) == 1);
        CHECK(r.problems.size() == 1);
      }
      // Appends go on after the recovery, with fresh sequence numbers.
      CHECK(spool.append(batch(10, 11)).seqs.front() >= 3);
    }
    Spool again(copy.path, {});
    CHECK(!again.recovery().damaged());
    auto all = expected(0, 2);
    all.push_back(expected(10, 11)[0]);
    CHECK(values(again.pending()) == all);
  }
}

TEST_CASE("spool: damage in the middle keeps the intact records after it", "[events]") {
  TempDir dir;
  std::int64_t second = 0, third = 0;
  {
    Spool spool(dir.path, {});
    spool.append(batch(0, 1));
    second = spool.file_bytes();
    spool.append(batch(1, 2));
    third = spool.file_bytes();
    spool.append(batch(2, 4));
  }
  std::string data = read_file(dir.path / "events.spool");
  SECTION("a flipped bit in a value") {
    data[static_cast<std::size_t>(third - 3)] ^= 0x10;
  }
  SECTION("a zeroed block (a lost page)") {
    for (std::int64_t i = second + 2; i < third + 5; ++i) data[static_cast<std::size_t>(i)] = 0;
  }
  write_file(dir.path / "events.spool", data);
  Spool spool(dir.path, {});
  const auto& r = spool.recovery();
  CHECK(r.damaged());
  CHECK(!r.truncated_tail);
  CHECK(r.damaged_regions >= 1);
  CHECK(r.discarded_bytes > 0);
  CHECK(r.problems[0].find("intact record(s) kept") != std::string::npos);
  const auto kept = values(spool.pending());
  CHECK(kept.front() == expected(0, 1)[0]);
  CHECK(kept.back() == expected(3, 4)[0]);
  CHECK(kept.size() == 2 + (data[static_cast<std::size_t>(third + 4)] == 0 ? 0U : 1U));
}

TEST_CASE("spool: a damaged header or garbage file does not stop the agent", "[events]") {
  TempDir dir;
  {
    Spool spool(dir.path, {});
    spool.append(batch(0, 3));
  }
  SECTION("damaged header") {
    std::string data = read_file(dir.path / "events.spool");
    data[3] = 'X';
    write_file(dir.path / "events.spool", data);
    Spool spool(dir.path, {});
    CHECK(spool.recovery().bad_header);
    CHECK(values(spool.pending()) == expected(0, 3));
    CHECK(spool.append(batch(3, 4)).seqs.front() == 4);
  }
  SECTION("random garbage") {
    std::mt19937 rng(42);
    std::string garbage(5000, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    write_file(dir.path / "events.spool", garbage);
    write_file(dir.path / "events.acks", garbage.substr(0, 100));
    Spool spool(dir.path, {});
    CHECK(spool.recovery().damaged());
    CHECK(spool.depth() == 0);
    spool.append(batch(0, 1));
    CHECK(spool.depth() == 1);
  }
  SECTION("an empty file") {
    write_file(dir.path / "events.spool", "");
    write_file(dir.path / "events.acks", "");
    Spool spool(dir.path, {});
    CHECK(spool.depth() == 0);
  }
}

TEST_CASE("spool: damaged acknowledgements are reported; intact ones still apply", "[events]") {
  TempDir dir;
  {
    Spool spool(dir.path, {});
    spool.append(batch(0, 4));
    spool.acknowledge({1});
    spool.acknowledge({2});
    spool.acknowledge({3});
  }
  std::string acks = read_file(dir.path / "events.acks");
  REQUIRE(acks.size() == 8 + 3 * 24);
  SECTION("corrupt middle entry") {
    acks[8 + 24 + 5] ^= 0x01;  // the ack of 2
    write_file(dir.path / "events.acks", acks);
    Spool spool(dir.path, {});
    CHECK(spool.recovery().discarded_ack_entries == 1);
    CHECK(values(spool.pending()) == std::vector<std::string>{expected(1, 2)[0], expected(3, 4)[0]});
  }
  SECTION("truncated last entry") {
    write_file(dir.path / "events.acks", acks.substr(0, acks.size() - 7));
    Spool spool(dir.path, {});
    CHECK(spool.recovery().discarded_ack_entries == 1);
    CHECK(values(spool.pending()) == expected(2, 4));
  }
}

TEST_CASE("spool: an old acks file beside a compacted spool resurrects nothing", "[events]") {
  // A crash between the two renames of a compaction leaves the new spool with the old acks.
  TempDir dir;
  std::string old_acks;
  {
    Spool spool(dir.path, SpoolLimits{});
    spool.append(batch(0, 3));
    spool.acknowledge({1});
    old_acks = read_file(dir.path / "events.acks");
    spool.acknowledge({2, 3});  // drained: compacts
    spool.append(batch(3, 4));
  }
  write_file(dir.path / "events.acks", old_acks);
  Spool spool(dir.path, {});
  CHECK(values(spool.pending()) == expected(3, 4));
  CHECK(spool.pending()[0].seq == 4);
}

TEST_CASE("spool: compaction keeps pending records and their attempts", "[events]") {
  TempDir dir;
  {
    Spool spool(dir.path, {});
    // Big enough to pass the compaction threshold (1 MiB delivered, more than pending).
    Batch big;
    for (int i = 0; i < 300; ++i) big.emplace_back("k", std::string(5000, 'a' + i % 26));
    const auto a = spool.append(big);
    spool.append(batch(0, 2));
    spool.mark_attempted({301}, 99);
    const auto before = spool.file_bytes();
    spool.acknowledge(a.seqs);
    CHECK(spool.file_bytes() < before / 10);
    CHECK(values(spool.pending()) == expected(0, 2));
  }
  Spool spool(dir.path, {});
  CHECK(!spool.recovery().damaged());
  const auto p = spool.pending();
  REQUIRE(p.size() == 2);
  CHECK(p[0].seq == 301);
  CHECK(p[0].first_attempt_ms == 99);
  CHECK(p[1].first_attempt_ms == 0);
}
