// Golden test of every family the Kafka renderers emit (render_cluster, render_groups): a
// recorded snapshot fixture (tests/fixtures/snapshots/kafka-snapshot.json, see its _comment)
// is rendered and compared byte for byte with tests/fixtures/golden/kafka-families.prom, so a
// renamed family or label, a changed HELP, TYPE or value format fails. The families must also
// be exactly those docs/metrics.md lists under "Cluster and brokers" and "Consumer groups",
// with the labels it lists.
//
// After an intended change of the output, rewrite the golden file and review its diff:
//   KS_UPDATE_GOLDEN=1 build/tests/unit-tests '[golden]'
//   git diff tests/fixtures/golden/
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "exporters/prometheus/cluster_metrics.hpp"
#include "exporters/prometheus/exposition_writer.hpp"
#include "exporters/prometheus/group_metrics.hpp"
#include "snapshot_json.hpp"

namespace {

const std::string kFixture = std::string(KS_FIXTURES_DIR) + "/snapshots/kafka-snapshot.json";
const std::string kGolden = std::string(KS_FIXTURES_DIR) + "/golden/kafka-families.prom";
const std::string kMetricsDoc = std::string(KS_SOURCE_DIR) + "/docs/metrics.md";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json fixture() { return nlohmann::json::parse(read_text(kFixture)); }

std::string render_fixture() {
  const nlohmann::json j = fixture();
  ks::prom::ExpositionWriter out;
  ks::prom::render_cluster(ks::testing::cluster_from_json(j.at("cluster")), out);
  ks::prom::render_groups(ks::testing::groups_from_json(j.at("groups")), out);
  return out.finish();
}

struct FamilyDoc {
  std::string type;
  std::set<std::string> labels;
};

// The metric tables of docs/metrics.md's sections on the Kafka renderers.
std::map<std::string, FamilyDoc> documented_kafka_families() {
  static const std::regex row(R"(^\| `([a-z_]+)` \| (\w+) \|([^|]*)\|)");
  static const std::regex label("`(\\w+)`");
  std::map<std::string, FamilyDoc> out;
  std::istringstream doc(read_text(kMetricsDoc));
  bool in_section = false;
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("## ", 0) == 0) {
      in_section = line == "## Cluster and brokers" || line == "## Consumer groups";
      continue;
    }
    std::smatch m;
    if (!in_section || !std::regex_search(line, m, row)) continue;
    FamilyDoc& f = out[m[1].str()];
    f.type = m[2].str();
    const std::string labels = m[3].str();
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label); it != std::sregex_iterator(); ++it) {
      f.labels.insert((*it)[1].str());
    }
  }
  return out;
}

// Families of an exposition: TYPE and the label names of its samples.
std::map<std::string, FamilyDoc> exposed_families(const std::string& text) {
  static const std::regex type(R"(^# TYPE (\S+) (\S+)$)");
  static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? \S+$)");
  static const std::regex label(R"re((\w+)="(?:[^"\\]|\\.)*")re");
  std::map<std::string, FamilyDoc> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, type)) {
      out[m[1].str()].type = m[2].str();
    } else if (line.rfind('#', 0) != 0 && std::regex_match(line, m, sample)) {
      const std::string labels = m[3].str();
      FamilyDoc& f = out[m[1].str()];
      for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label); it != std::sregex_iterator(); ++it) {
        f.labels.insert((*it)[1].str());
      }
    }
  }
  return out;
}

std::string joined(const std::set<std::string>& s) {
  std::string out;
  for (const std::string& x : s) out += (out.empty() ? "" : ",") + x;
  return out;
}

}  // namespace

TEST_CASE("kafka golden: the fixture loads back to the same JSON", "[golden]") {
  const nlohmann::json j = fixture();
  CHECK(nlohmann::json(ks::testing::cluster_to_json(ks::testing::cluster_from_json(j.at("cluster")))) ==
        j.at("cluster"));
  CHECK(nlohmann::json(ks::testing::groups_to_json(ks::testing::groups_from_json(j.at("groups")))) ==
        j.at("groups"));
}

TEST_CASE("kafka golden: the recorded snapshots render exactly the golden kafka_* families", "[golden]") {
  const std::string got = render_fixture();
  if (std::getenv("KS_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(kGolden, std::ios::binary) << got;
    WARN("rewrote " << kGolden << ": review its diff");
  }
  const std::string want = read_text(kGolden);
  REQUIRE_FALSE(want.empty());
  if (got != want) {
    // Point at the first differing line (the whole texts are long).
    std::istringstream a(got), b(want);
    std::string la, lb;
    int n = 1;
    while (std::getline(a, la) && std::getline(b, lb) && la == lb) ++n;
    FAIL("rendered output differs from " << kGolden << " at line " << n << ":\n  rendered: " << la
                                         << "\n  golden:   " << lb
                                         << "\n(KS_UPDATE_GOLDEN=1 rewrites it after an intended change)");
  }
}

TEST_CASE("kafka golden: every documented Kafka family is in the golden, with its type and labels",
          "[golden]") {
  const auto documented = documented_kafka_families();
  const auto exposed = exposed_families(read_text(kGolden));
  REQUIRE(documented.size() > 30);
  for (const auto& [name, doc] : documented) {
    INFO(name << " (docs/metrics.md)");
    const auto it = exposed.find(name);
    REQUIRE(it != exposed.end());
    CHECK(it->second.type == doc.type);
    CHECK(joined(it->second.labels) == joined(doc.labels));
  }
  for (const auto& [name, family] : exposed) {
    INFO(name << " is rendered but not listed in docs/metrics.md's Kafka sections");
    CHECK(documented.count(name) == 1);
  }
}
