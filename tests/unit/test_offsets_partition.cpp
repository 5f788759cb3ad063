// A group's `__consumer_offsets` partition against Java's own answer: the fixture was
// written by real Java (tests/tools/OffsetsPartitionOf.java, its header says how), for ids
// whose hash overflows many times, is negative, is Integer.MIN_VALUE (Utils.abs gives 0),
// and ids in Cyrillic, CJK, Hebrew, composed and decomposed accents and characters outside
// the Basic Multilingual Plane (two UTF-16 code units each).
#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "kafka/offsets_partition.hpp"

namespace {

struct JavaRow {
  std::int32_t hash = 0;
  int of50 = 0;
  int of10 = 0;
  std::string id;
};

std::vector<JavaRow> java_rows() {
  std::ifstream in(std::string(KS_FIXTURES_DIR) + "/offsets_partition_java.tsv");
  std::vector<JavaRow> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    JavaRow row;
    fields >> row.hash >> row.of50 >> row.of10;
    fields.get();  // the tab before the id
    std::getline(fields, row.id);
    if (row.id == "<empty>") row.id.clear();
    rows.push_back(row);
  }
  return rows;
}

bool outside_bmp(const std::string& utf8) {
  for (const char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xF8) == 0xF0) return true;  // a 4-byte sequence
  }
  return false;
}

}  // namespace

TEST_CASE("a group's offsets partition is Java's String.hashCode and Kafka's Utils.abs",
          "[offsets-partition]") {
  const std::vector<JavaRow> rows = java_rows();
  REQUIRE(rows.size() >= 20);
  int min_value = 0, negative = 0, non_bmp = 0;
  for (const JavaRow& row : rows) {
    INFO("group id: \"" << row.id << "\"");
    CHECK(ks::kafka::java_string_hash(row.id) == row.hash);
    CHECK(ks::kafka::offsets_partition_of(row.id, 50) == row.of50);
    CHECK(ks::kafka::offsets_partition_of(row.id, 10) == row.of10);
    min_value += row.hash == std::numeric_limits<std::int32_t>::min();
    negative += row.hash < 0 && row.hash != std::numeric_limits<std::int32_t>::min();
    non_bmp += outside_bmp(row.id);
  }
  // The cases that break a naive port are in the fixture.
  CHECK(min_value >= 2);
  CHECK(negative >= 3);
  CHECK(non_bmp >= 3);
}

TEST_CASE("offsets partition: Kafka's abs and bytes that are not UTF-8", "[offsets-partition]") {
  CHECK(ks::kafka::kafka_abs(std::numeric_limits<std::int32_t>::min()) == 0);
  CHECK(ks::kafka::kafka_abs(-5) == 5);
  CHECK(ks::kafka::kafka_abs(7) == 7);
  // Not UTF-8 (no Java client can send it): what Java printed for
  // new String(bytes, StandardCharsets.UTF_8).hashCode() of each.
  CHECK(ks::kafka::java_string_hash("\xff") == 65533);
  CHECK(ks::kafka::java_string_hash("\xe6\x97") == 65533);         // truncated
  CHECK(ks::kafka::java_string_hash("\xe6\x97" "A") == 2031588);  // truncated, then 'A'
  CHECK(ks::kafka::java_string_hash("\xed\xa0\x80") == 65533);    // a surrogate
}
