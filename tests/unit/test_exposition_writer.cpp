#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "exporters/prometheus/exposition_writer.hpp"
#include "exporters/prometheus/gzip.hpp"

using ks::prom::ExpositionWriter;
using ks::prom::MetricType;

TEST_CASE("families are sorted by name and samples by labels", "[exposition]") {
  ExpositionWriter w;
  w.family("kafka_topic_partitions", "Number of partitions for this Topic", MetricType::gauge);
  w.sample({{"topic", "orders"}}, 3);
  w.sample({{"topic", "audit"}}, 1);
  w.family("kafka_brokers", "Number of Brokers in the Kafka Cluster.", MetricType::gauge);
  w.sample({}, 3);
  REQUIRE(w.sample_count() == 3);
  CHECK(w.finish() ==
        "# HELP kafka_brokers Number of Brokers in the Kafka Cluster.\n"
        "# TYPE kafka_brokers gauge\n"
        "kafka_brokers 3\n"
        "# HELP kafka_topic_partitions Number of partitions for this Topic\n"
        "# TYPE kafka_topic_partitions gauge\n"
        "kafka_topic_partitions{topic=\"audit\"} 1\n"
        "kafka_topic_partitions{topic=\"orders\"} 3\n");
}

TEST_CASE("HELP and TYPE are written once when a family is continued", "[exposition]") {
  ExpositionWriter w;
  w.family("a_total", "first help wins", MetricType::counter);
  w.sample({{"x", "1"}}, 1);
  w.family("b", "other", MetricType::gauge);
  w.sample({}, 2);
  w.family("a_total", "second help ignored", MetricType::gauge);
  w.sample({{"x", "0"}}, 5);
  CHECK(w.finish() ==
        "# HELP a_total first help wins\n# TYPE a_total counter\n"
        "a_total{x=\"0\"} 5\na_total{x=\"1\"} 1\n"
        "# HELP b other\n# TYPE b gauge\nb 2\n");
}

TEST_CASE("label values and help text are escaped", "[exposition]") {
  ExpositionWriter w;
  w.family("m", "back\\slash and\nnewline", MetricType::gauge);
  w.sample({{"v", "quote\" back\\ nl\n"}}, 1);
  CHECK(w.finish() ==
        "# HELP m back\\\\slash and\\nnewline\n# TYPE m gauge\n"
        "m{v=\"quote\\\" back\\\\ nl\\n\"} 1\n");
}

TEST_CASE("invalid UTF-8 in label values and help text becomes U+FFFD", "[exposition]") {
  // Found by tests/fuzz/fuzz_exposition_labels.cpp: the bytes went out as they were, and
  // Prometheus rejects a whole scrape over one invalid label value.
  ExpositionWriter w;
  w.family("m", "caf\xc3\xa9 \xff", MetricType::gauge);
  // Valid two-, three- and four-byte sequences stay; a stray continuation byte, a cut-off
  // sequence, an overlong '/' and a surrogate become one U+FFFD per byte.
  w.sample({{"group", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\x80|\xe2\x82|\xc0\xaf|\xed\xa0\x80"}}, 1);
  const std::string r = "\xef\xbf\xbd";
  CHECK(w.finish() == "# HELP m caf\xc3\xa9 " + r + "\n# TYPE m gauge\n"
                      "m{group=\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|" + r + "|" + r + r + "|" + r + r +
                      "|" + r + r + r + "\"} 1\n");
}

TEST_CASE("values: integers exact, floats round-trip, special values", "[exposition]") {
  auto text = [](double v) {
    std::string s;
    ks::prom::append_value(s, v);
    return s;
  };
  CHECK(text(0) == "0");
  CHECK(text(-7) == "-7");
  CHECK(text(123456789012) == "123456789012");
  CHECK(text(0.25) == "0.25");
  CHECK(text(1e20) == "1e+20");
  CHECK(text(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(text(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(text(std::nan("")) == "NaN");
  CHECK(std::stod(text(0.1 + 0.2)) == 0.1 + 0.2);
}

TEST_CASE("seconds at millisecond resolution: integer formatting, no trailing zeros",
          "[exposition]") {
  auto text = [](double v) {
    std::string s;
    ks::prom::append_milliseconds(s, v);
    return s;
  };
  CHECK(text(0) == "0");
  CHECK(text(3600) == "3600");
  CHECK(text(12.5) == "12.5");
  CHECK(text(4.726279149333333) == "4.726");
  CHECK(text(14.2156) == "14.216");  // rounded, not cut
  CHECK(text(0.0004) == "0");
  CHECK(text(1.0996) == "1.1");
  CHECK(text(-2.05) == "-2.05");
  CHECK(text(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(text(std::nan("")) == "NaN");
  // A family declared so writes its samples so.
  ExpositionWriter w;
  w.family("x_seconds", "h", MetricType::gauge, ks::prom::ValueFormat::milliseconds);
  w.sample({{"a", "1"}}, 1.23456);
  CHECK(w.finish().find("x_seconds{a=\"1\"} 1.235\n") != std::string::npos);
}

TEST_CASE("histogram buckets keep their order; series sorted by other labels", "[exposition]") {
  ExpositionWriter w;
  w.family("d_seconds", "h", MetricType::histogram);
  for (const char* c : {"z", "a"}) {
    w.sample({{"c", c}, {"le", "0.5"}}, 1, "_bucket");
    w.sample({{"c", c}, {"le", "10"}}, 2, "_bucket");
    w.sample({{"c", c}, {"le", "+Inf"}}, 3, "_bucket");
    w.sample({{"c", c}}, 4.5, "_sum");
    w.sample({{"c", c}}, 3, "_count");
  }
  CHECK(w.finish() ==
        "# HELP d_seconds h\n# TYPE d_seconds histogram\n"
        "d_seconds_bucket{c=\"a\",le=\"0.5\"} 1\n"
        "d_seconds_bucket{c=\"a\",le=\"10\"} 2\n"
        "d_seconds_bucket{c=\"a\",le=\"+Inf\"} 3\n"
        "d_seconds_sum{c=\"a\"} 4.5\n"
        "d_seconds_count{c=\"a\"} 3\n"
        "d_seconds_bucket{c=\"z\",le=\"0.5\"} 1\n"
        "d_seconds_bucket{c=\"z\",le=\"10\"} 2\n"
        "d_seconds_bucket{c=\"z\",le=\"+Inf\"} 3\n"
        "d_seconds_sum{c=\"z\"} 4.5\n"
        "d_seconds_count{c=\"z\"} 3\n");
}

TEST_CASE("families without samples are left out; finish resets", "[exposition]") {
  ExpositionWriter w;
  w.family("empty", "nothing", MetricType::gauge);
  CHECK(w.finish().empty());
  w.family("x", "y", MetricType::gauge);
  w.sample({}, 1);
  CHECK(w.finish() == "# HELP x y\n# TYPE x gauge\nx 1\n");
  CHECK(w.finish().empty());
}

TEST_CASE("gzip output has the gzip magic and is smaller for repetitive text", "[exposition]") {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "kafka_topic_partition_current_offset{topic=\"t\",partition=\"" + std::to_string(i) + "\"} 42\n";
  const std::string gz = ks::prom::gzip_compress(text);
  REQUIRE(gz.size() > 10);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  CHECK(gz.size() * 5 < text.size());
}
