#include "agent/config/yaml_documents.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <string>

namespace ks::config {
namespace {

// Where each document starts, and whether the last one read was empty (a null root): like
// LoadAll, counting ends at the first empty document ("a: 1\n---\n" is one document).
class DocumentStarts final : public YAML::EventHandler {
 public:
  int started = 0;
  YAML::Mark second = YAML::Mark::null_mark();  // the second document's first content
  bool empty = true;  // of the document read last

  void OnDocumentStart(const YAML::Mark&) override {
    ++started;
    empty = true;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { content(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    content(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    content(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    content(mark);
  }
  void OnMapEnd() override {}

 private:
  void content(const YAML::Mark& mark) {
    if (empty && started == 2) second = mark;
    empty = false;
  }
};

// Reads the next document; false at the end of the stream or at an empty document.
bool next_document(YAML::Parser& parser, DocumentStarts& starts) {
  return parser.HandleNextDocument(starts) && !starts.empty;
}

}  // namespace

YamlDocumentCount count_yaml_documents(std::string_view yaml, int limit) {
  std::istringstream in{std::string(yaml)};
  YAML::Parser parser(in);
  DocumentStarts starts;
  YamlDocumentCount count;
  while (count.documents < limit && next_document(parser, starts)) ++count.documents;
  count.more = count.documents == limit && next_document(parser, starts);
  if (starts.started >= 2 && !starts.second.is_null()) {
    count.second_line = starts.second.line + 1;
    count.second_column = starts.second.column + 1;
  }
  return count;
}

}  // namespace ks::config
