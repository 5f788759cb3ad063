// The architecture rules (tests/unit/architecture_rules.hpp, docs/architecture.md) over the
// source tree at KS_SOURCE_DIR, and the checkers on small trees that break each rule.
// Run them alone: build/tests/unit-tests '[architecture]'. The list of every product
// function over 60 lines: build/tests/unit-tests '[architecture-report]'.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "architecture_rules.hpp"

namespace arch = ks::arch;

namespace {

const std::vector<arch::SourceFile>& tree() {
  static const std::vector<arch::SourceFile> files = arch::load_tree(KS_SOURCE_DIR);
  return files;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string lines(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += "  " + s + "\n";
  return out;
}

// A function of `body_lines` lines in all, name line and closing brace included.
std::string function_of_lines(const std::string& signature, int body_lines, const std::string& inner = "") {
  std::string text = signature + " {\n" + inner;
  const int inner_lines = static_cast<int>(std::count(inner.begin(), inner.end(), '\n') +
                                           std::count(signature.begin(), signature.end(), '\n'));
  for (int i = 0; i < body_lines - 2 - inner_lines; ++i) text += "  ++n;\n";
  return text + "}\n";
}

const arch::Function* find(const std::vector<arch::Function>& fns, const std::string& name) {
  for (const arch::Function& f : fns) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("architecture: only kafka/ includes or names librdkafka", "[architecture]") {
  REQUIRE(tree().size() > 100);
  const std::vector<std::string> offenders = arch::librdkafka_offenders(tree());
  INFO("Files outside kafka/ that include librdkafka (use kafka/'s wrappers instead):\n"
       << lines(offenders));
  CHECK(offenders.empty());
}

TEST_CASE("architecture: each folder includes only the folders below it", "[architecture]") {
  const std::vector<std::string> offenders = arch::dependency_offenders(tree());
  INFO("Includes against the dependency rules (core/ nothing; kafka/ core/; collectors/ core/ "
       "kafka/; exporters/ core/; fleet/ core/ kafka/ exporters/; events/ core/ kafka/ fleet/ "
       "exporters/):\n"
       << lines(offenders));
  CHECK(offenders.empty());
}

TEST_CASE("architecture: no product function over 60 lines but those docs/architecture.md allows",
          "[architecture]") {
  const std::string doc = read_text(std::string(KS_SOURCE_DIR) + "/docs/architecture.md");
  REQUIRE(doc.find("<!-- long-functions -->") != std::string::npos);
  REQUIRE(doc.find("<!-- /long-functions -->") != std::string::npos);
  const auto allowed = arch::parse_long_function_allow_list(doc);
  const std::vector<std::string> offenders =
      arch::long_function_offenders(arch::long_functions(tree()), allowed);
  INFO("Split these functions, or list them with a reason in docs/architecture.md "
       "(<!-- long-functions --> table):\n"
       << lines(offenders));
  CHECK(offenders.empty());
}

TEST_CASE("architecture: list the product functions over 60 lines", "[.][architecture-report]") {
  for (const arch::Function& f : arch::long_functions(tree())) {
    std::cout << f.lines() << "\t" << f.file << ":" << f.first_line << "\t" << f.name << "\n";
  }
}

TEST_CASE("architecture checker: librdkafka outside kafka/ is caught", "[architecture][checker]") {
  const std::vector<arch::SourceFile> files = {
      {"kafka/client.cpp", "#include <librdkafka/rdkafka.h>\n"},
      {"collectors/x.cpp", "#include <string>\n\n#include <librdkafka/rdkafka.h>\n"},
      {"tests/unit/test_x.cpp", "  #  include \"librdkafka/rdkafkacpp.h\"\n"},
      {"tools/y.cpp", "// #include <librdkafka/rdkafka.h>\n/* #include <librdkafka/rdkafka.h> */\n"},
      {"events/z.cpp", "#include \"kafka/detail/native.hpp\"\n"},
      {"fleet/w.cpp", "// rd_kafka_poll is named in a comment\nint n = \"RD_KAFKA_X\"[0];\n"
                      "void f(rd_kafka_t* rk);\n"},
  };
  const auto offenders = arch::librdkafka_offenders(files);
  INFO(lines(offenders));
  REQUIRE(offenders.size() == 4);
  CHECK(offenders[0] == "collectors/x.cpp:3: includes <librdkafka/rdkafka.h>");
  CHECK(offenders[1] == "tests/unit/test_x.cpp:1: includes <librdkafka/rdkafkacpp.h>");
  CHECK(offenders[2] == "events/z.cpp:1: includes <kafka/detail/native.hpp>");
  CHECK(offenders[3] == "fleet/w.cpp:3: uses rd_kafka_t");
}

TEST_CASE("architecture checker: includes against the dependency rules are caught",
          "[architecture][checker]") {
  const std::vector<arch::SourceFile> files = {
      {"core/a.hpp", "#include \"core/b.hpp\"\n#include \"kafka/client.hpp\"\n#include <fmt/format.h>\n"},
      {"kafka/a.cpp", "#include \"core/a.hpp\"\n#include \"collectors/x.hpp\"\n"},
      {"collectors/a.cpp", "#include \"kafka/a.hpp\"\n#include \"exporters/p.hpp\"\n"},
      {"exporters/a.cpp", "#include \"exporters/b.hpp\"\n#include \"core/x.hpp\"\n#include \"kafka/c.hpp\"\n"},
      {"fleet/a.cpp", "#include \"exporters/b.hpp\"\n#include \"events/e.hpp\"\n"},
      {"events/a.cpp", "#include \"fleet/a.hpp\"\n#include \"agent/agent.hpp\"\n"},
      {"agent/a.cpp", "#include \"events/a.hpp\"\n#include \"tools/t.hpp\"\n"},
      {"tests/unit/t.cpp", "#include \"agent/a.hpp\"\n"},
  };
  const auto offenders = arch::dependency_offenders(files);
  INFO(lines(offenders));
  REQUIRE(offenders.size() == 6);
  CHECK(offenders[0] == "core/a.hpp:2: core/ includes kafka/ (\"kafka/client.hpp\")");
  CHECK(offenders[1] == "kafka/a.cpp:2: kafka/ includes collectors/ (\"collectors/x.hpp\")");
  CHECK(offenders[2] == "collectors/a.cpp:2: collectors/ includes exporters/ (\"exporters/p.hpp\")");
  CHECK(offenders[3] == "exporters/a.cpp:3: exporters/ includes kafka/ (\"kafka/c.hpp\")");
  CHECK(offenders[4] == "fleet/a.cpp:2: fleet/ includes events/ (\"events/e.hpp\")");
  CHECK(offenders[5] == "events/a.cpp:2: events/ includes agent/ (\"agent/agent.hpp\")");
}

TEST_CASE("architecture checker: functions are found from the brace structure",
          "[architecture][checker]") {
  const std::string source =
      "extern \"C\" void on_signal(int) { if (1) { } }\n"                   // 1
      "#define BLOCK { {\n"                                                // 2
      "namespace ks::a {\n"                                                // 3
      "namespace {\n"                                                      // 4
      "constexpr Family kInfo{\"a{\", \"}\", G::gauge};\n"                 // 5
      "enum class E : int { a, b };\n"                                     // 6
      "int helper(int x) { return x; }\n"                                  // 7
      "}  // namespace\n"                                                  // 8
      "extern \"C\" {\n"                                                   // 9
      "void c_api(void) { if (1) {\n"                                     // 10
      "  const char* s = \"}\"; char c = '{';  // }\n"                     // 11
      "} }\n"                                                              // 12
      "}\n"                                                                // 13
      "class Spool final : public Base {\n"                                // 14
      " public:\n"                                                         // 15
      "  Spool(int a) : a_{a}, b_(std::vector<int>{1, 2}), c_{} {\n"       // 16
      "    auto f = [&](int x) -> int {\n"                                 // 17
      "      struct Local { int g() { return 1; } };\n"                    // 18
      "      return x;\n"                                                  // 19
      "    };\n"                                                           // 20
      "  }\n"                                                              // 21
      "  bool operator()(int x) const noexcept { return x > 0; }\n"        // 22
      "  std::array<int, sizeof(long)> buf_{};\n"                          // 23
      "  struct Inner { void run(Opts o = {}) {\n"                         // 24
      "  } };\n"                                                           // 25
      "};\n"                                                               // 26
      "template <class T>\n"                                               // 27
      "std::vector<T>\n"                                                   // 28
      "Spool::recover(const std::string& path,\n"                          // 29
      "               int n) {\n"                                          // 30
      "  if (n) { /* { */ }\n"                                             // 31
      "  auto s = R\"x({ \" })x\";\n"                                      // 32
      "}\n"                                                                // 33
      "const auto lambda = [](int) { return 1'000; };\n"                   // 34
      "}  // namespace ks::a\n";                                           // 35
  const auto fns = arch::functions_of({"events/spool.cpp", source});
  std::vector<std::string> names;
  for (const auto& f : fns) names.push_back(f.name + "@" + std::to_string(f.first_line) + "-" + std::to_string(f.last_line));
  INFO(lines(names));
  REQUIRE(fns.size() == 8);
  CHECK(names.front() == "on_signal@1-1");
  names.erase(names.begin());
  CHECK(names[0] == "helper@7-7");
  CHECK(names[1] == "c_api@10-12");
  CHECK(names[2] == "Spool::Spool@16-21");
  CHECK(names[3] == "Spool::operator()@22-22");
  CHECK(names[4] == "Spool::Inner::run@24-25");
  CHECK(names[5] == "Spool::recover@29-33");
  CHECK(names[6] == "lambda@34-34");
}

TEST_CASE("architecture checker: a function over 60 lines is caught unless allowed with a reason",
          "[architecture][checker]") {
  const std::string source = "namespace ks {\n" + function_of_lines("void Short::fits()", 60) +
                             function_of_lines("int too_long(int a,\n             int b)", 61) +
                             function_of_lines("void with_lambda()", 59,
                                               "  auto f = [] {\n    return 1;\n  };\n  f();\n") +
                             "}\n";
  // A lambda inside a function counts toward it: make with_lambda 62 lines.
  std::string longer = source;
  longer.insert(longer.find("  f();"), "  ++n;\n  ++n;\n  ++n;\n");
  const std::vector<arch::SourceFile> files = {{"collectors/c.cpp", longer},
                                               {"tests/unit/t.cpp", longer},  // not product
                                               {"bench/b.cpp", longer}};      // not product
  const auto long_ones = arch::long_functions(files);
  REQUIRE(long_ones.size() == 2);
  CHECK(long_ones[0].name == "with_lambda");
  CHECK(long_ones[0].lines() == 62);
  CHECK(long_ones[1].name == "too_long");
  CHECK(long_ones[1].lines() == 61);
  const auto fns = arch::functions_of(files[0]);
  REQUIRE(find(fns, "Short::fits") != nullptr);
  CHECK(find(fns, "Short::fits")->lines() == 60);

  CHECK(arch::long_function_offenders(long_ones, {}).size() == 2);

  const std::string doc =
      "# Architecture\n| file | function | reason |\n| a | b | c |\n"
      "<!-- long-functions -->\n"
      "| file | function | reason |\n"
      "| --- | --- | --- |\n"
      "| `collectors/c.cpp` | `too_long` | a table of 60 cases reads best as one |\n"
      "| `collectors/c.cpp` | `with_lambda` | |\n"
      "| `collectors/c.cpp` | `gone` | split since |\n"
      "<!-- /long-functions -->\n";
  const auto allowed = arch::parse_long_function_allow_list(doc);
  REQUIRE(allowed.size() == 3);
  CHECK(allowed[0].file == "collectors/c.cpp");
  CHECK(allowed[0].function == "too_long");
  CHECK(allowed[0].reason == "a table of 60 cases reads best as one");
  const auto offenders = arch::long_function_offenders(long_ones, allowed);
  INFO(lines(offenders));
  REQUIRE(offenders.size() == 2);
  CHECK(offenders[0] == "allow-list: collectors/c.cpp with_lambda has no reason");
  CHECK(offenders[1].find("allow-list: collectors/c.cpp gone is not a function over 60") == 0);
}
