// How many YAML documents a text holds, counted without building them and with a bound.
//
// yaml-cpp 0.7's LoadAll builds every document and, on some malformed input (found by the
// config fuzzer: tests/fuzz/crashes/config_yaml/yaml-cpp-loadall-never-ends), its parser
// never reaches the end of the stream: it keeps returning empty documents until memory runs
// out. A config file is one document, so counting stops at `limit`.
#pragma once

#include <string_view>

namespace ks::config {

struct YamlDocumentCount {
  int documents = 0;       // at most the limit
  bool more = false;       // the limit was reached: there may be more
  int second_line = 0;     // 1-based line and column where the second document starts
  int second_column = 0;   // (0 when there is none)
};

// Throws YAML::Exception on a syntax error in the documents it reads, as YAML::LoadAll does.
YamlDocumentCount count_yaml_documents(std::string_view yaml, int limit);

}  // namespace ks::config
