// The architecture rules of docs/architecture.md as code, checked by
// tests/unit/test_architecture.cpp over the source tree (KS_SOURCE_DIR) and over small
// in-memory trees that break each rule (so every rule is shown to be able to fail):
//
//   1. only kafka/ includes <librdkafka/...> (product code, tools/, bench/ and tests/ alike);
//   2. each folder includes only the project folders below it (core/ none; kafka/ core/;
//      collectors/ core/ kafka/; exporters/ core/; fleet/ core/ kafka/ exporters/; events/
//      core/ kafka/ fleet/ exporters/; agent/, tools/, bench/, tests/ anything);
//   3. no product function (agent/ core/ kafka/ collectors/ exporters/ events/ fleet/ tools/)
//      longer than 60 lines, from the line of its name to its closing brace, except those
//      in docs/architecture.md's allow-list (between <!-- long-functions --> markers).
//
// Functions are found from the brace structure of the source with comments, string and
// character literals and preprocessor lines blanked out: namespace, extern, class, struct,
// union and enum blocks are scopes, not functions; a brace-initialised variable is not a
// function; everything inside a function's braces (lambdas, local classes) counts toward it.
// A heuristic, not a compiler: it is exact for this code base's style, which the checker
// tests pin down.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ks::arch {

inline constexpr int kMaxFunctionLines = 60;

struct SourceFile {
  std::string path;  // relative to the tree's root, '/'-separated ("collectors/x/y.cpp")
  std::string text;
};

// Every C++ source and header under `root`, skipping build trees and hidden folders.
std::vector<SourceFile> load_tree(const std::filesystem::path& root);

// `text` with comments (and, unless keep_strings, string/char literal contents) replaced by
// spaces; line breaks are kept, so offsets and line numbers stay those of the original.
std::string blank_comments(std::string_view text, bool keep_strings);

struct Include {
  std::string target;  // "core/config.hpp", "librdkafka/rdkafka.h"
  int line = 0;
};
std::vector<Include> includes_of(std::string_view text);  // comments ignored

// Rule 1: outside kafka/, an include of librdkafka or of kafka/detail/ (the layer's internal
// headers), "path:line: includes <target>", or a librdkafka name in code, "path:line: uses
// NAME". Rule 2: one line per include against the dependency rules.
std::vector<std::string> librdkafka_offenders(const std::vector<SourceFile>& files);
std::vector<std::string> dependency_offenders(const std::vector<SourceFile>& files);

struct Function {
  std::string file;
  std::string name;  // qualified by its enclosing classes: "Spool::recover"
  int first_line = 0;  // the line of its name
  int last_line = 0;   // the line of its closing brace
  int lines() const { return last_line - first_line + 1; }
};
std::vector<Function> functions_of(const SourceFile& file);

bool is_product_file(std::string_view path);
// Product functions over kMaxFunctionLines, longest first.
std::vector<Function> long_functions(const std::vector<SourceFile>& files);

struct AllowedLongFunction {
  std::string file;
  std::string function;
  std::string reason;
};
// The rows of the table between <!-- long-functions --> and <!-- /long-functions -->:
// | `file` | `function` | reason |
std::vector<AllowedLongFunction> parse_long_function_allow_list(std::string_view markdown);

// Rule 3: long functions not allowed, and allow-list rows without a reason or without a long
// function to excuse (stale). One line each.
std::vector<std::string> long_function_offenders(const std::vector<Function>& long_ones,
                                                 const std::vector<AllowedLongFunction>& allowed);

}  // namespace ks::arch
