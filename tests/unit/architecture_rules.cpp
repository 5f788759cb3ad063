#include "architecture_rules.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace ks::arch {
namespace fs = std::filesystem;

namespace {

bool is_ident(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string top_folder(std::string_view path) {
  const auto slash = path.find('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

int line_at(std::string_view text, std::size_t pos) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
}

// Blanks text[from, to) except line breaks.
void blank(std::string& text, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to && i < text.size(); ++i) {
    if (text[i] != '\n') text[i] = ' ';
  }
}

// A ' inside a number (1'000'000), not a character literal.
bool digit_separator(std::string_view text, std::size_t quote) {
  std::size_t b = quote;
  while (b > 0 && is_ident(text[b - 1])) --b;
  return b < quote && std::isdigit(static_cast<unsigned char>(text[b]));
}

// Where a raw string literal starting at `quote` (R"delim( ... )delim") ends, or npos.
std::size_t raw_string_end(std::string_view text, std::size_t quote) {
  const std::size_t open = text.find('(', quote);
  if (open == std::string_view::npos) return open;
  const std::string close = ")" + std::string(text.substr(quote + 1, open - quote - 1)) + "\"";
  const std::size_t end = text.find(close, open);
  return end == std::string_view::npos ? text.size() : end + close.size();
}

bool raw_string_prefix(std::string_view text, std::size_t quote) {
  if (quote == 0 || text[quote - 1] != 'R') return false;
  std::size_t p = quote - 1;  // the R; an encoding prefix may precede it
  while (p > 0 && (text[p - 1] == 'u' || text[p - 1] == 'U' || text[p - 1] == 'L' ||
                   text[p - 1] == '8')) {
    --p;
  }
  return p == 0 || !is_ident(text[p - 1]);
}

// Preprocessor directives (with their continuation lines) to spaces.
void blank_preprocessor(std::string& text) {
  std::size_t line = 0;
  while (line < text.size()) {
    std::size_t first = line;
    while (first < text.size() && (text[first] == ' ' || text[first] == '\t')) ++first;
    std::size_t end = text.find('\n', line);
    if (end == std::string::npos) end = text.size();
    if (first < text.size() && text[first] == '#') {
      while (end < text.size() && end > 0 && text[end - 1] == '\\') {
        end = text.find('\n', end + 1);
        if (end == std::string::npos) end = text.size();
      }
      blank(text, line, end);
    }
    line = end + 1;
  }
}

// ---- Function finder ----------------------------------------------------------------------

std::size_t matching_brace(std::string_view text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text[i] == '{') ++depth;
    if (text[i] == '}' && --depth == 0) return i;
  }
  return text.size() - 1;
}

// Removes leading `template <...>` clauses, attributes and access specifiers.
std::string strip_header_prefixes(std::string h) {
  static const std::regex access(R"(^(public|private|protected)\s*:(?!:))");
  for (bool changed = true; changed;) {
    changed = false;
    h = trim(h);
    std::smatch m;
    if (std::regex_search(h, m, access)) {
      h = h.substr(static_cast<std::size_t>(m.length(0)));
      changed = true;
    } else if (h.rfind("template", 0) == 0 && h.size() > 8 && !is_ident(h[8])) {
      const std::size_t lt = h.find('<');
      int depth = 0;
      for (std::size_t i = lt; lt != std::string::npos && i < h.size(); ++i) {
        if (h[i] == '<') ++depth;
        if (h[i] == '>' && --depth == 0) {
          h = h.substr(i + 1);
          changed = true;
          break;
        }
      }
    } else if (h.rfind("[[", 0) == 0 && h.find("]]") != std::string::npos) {
      h = h.substr(h.find("]]") + 2);
      changed = true;
    }
  }
  return h;
}

std::string first_word(std::string_view h) {
  std::size_t e = 0;
  while (e < h.size() && is_ident(h[e])) ++e;
  return std::string(h.substr(0, e));
}

std::string last_word(std::string_view h) {
  std::size_t e = h.size();
  while (e > 0 && std::isspace(static_cast<unsigned char>(h[e - 1]))) --e;
  std::size_t b = e;
  while (b > 0 && is_ident(h[b - 1])) --b;
  return std::string(h.substr(b, e - b));
}

// After the parameter list of a function: a constructor's member-initializer list begins
// with a single ':' at parenthesis depth 0.
bool in_initializer_list(std::string_view h) {
  int depth = 0;
  bool after_params = false;
  for (std::size_t i = 0; i < h.size(); ++i) {
    const char c = h[i];
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) after_params = true;
    if (c == ':' && depth == 0 && after_params) {
      const bool doubled = (i + 1 < h.size() && h[i + 1] == ':') || (i > 0 && h[i - 1] == ':');
      if (!doubled) return true;
    }
  }
  return false;
}

int paren_depth(std::string_view h) {
  int depth = 0;
  for (const char c : h) depth += c == '(' ? 1 : c == ')' ? -1 : 0;
  return depth;
}

enum class Block { scope, type, function, other };

Block classify(const std::string& header) {
  const std::string h = strip_header_prefixes(header);
  const std::string word = first_word(h);
  const bool no_parens = h.find('(') == std::string::npos;
  if (word == "namespace" || (word == "extern" && no_parens) ||
      (word == "inline" && h.find("namespace") != std::string::npos)) {
    return Block::scope;  // extern "C" { ... }, but not extern "C" void f() { ... }
  }
  if (word == "class" || word == "struct" || word == "union") return Block::type;
  if (word == "enum" || h.empty()) return Block::other;
  const std::size_t close = h.rfind(')');
  if (close == std::string::npos) return Block::other;
  const std::string after = trim(std::string_view(h).substr(close + 1));
  static const std::set<std::string> specifiers = {"const", "noexcept", "override", "final",
                                                   "mutable", "volatile", "try"};
  if (after.empty() || after.back() == '}' || after.find("->") != std::string::npos ||
      specifiers.count(last_word(after)) > 0 || after.back() == '&') {
    return Block::function;
  }
  return Block::other;  // `std::array<int, sizeof(T)> x{...}`: a variable
}

std::string type_name_of(const std::string& header) {
  static const std::regex re(R"(^(?:class|struct|union)\s+(?:alignas\s*\([^)]*\)\s*)?(\w+))");
  std::smatch m;
  const std::string h = strip_header_prefixes(header);
  return std::regex_search(h, m, re) ? m[1].str() : std::string("<anonymous>");
}

// The function's name in its header and where it is: before the first '(' at depth 0.
std::pair<std::string, std::size_t> function_name_of(const std::string& header) {
  const std::string pre = header.substr(0, header.find('('));
  const std::size_t end = pre.find_last_not_of(" \t\n");
  if (end == std::string::npos) return {"<unnamed>", 0};
  static const std::regex call(R"(((?:\w+::)*operator)\s*$)");
  std::smatch m;
  if (std::regex_search(pre, m, call)) {  // operator()
    return {m[1].str() + "()", static_cast<std::size_t>(m.position(1))};
  }
  if (pre[end] == ']') {  // a lambda at namespace or class scope: the variable's name
    static const std::regex var(R"((\w+)\s*=\s*\[[^\]]*\]\s*$)");
    if (std::regex_search(pre, m, var)) return {m[1].str(), static_cast<std::size_t>(m.position(1))};
    return {"<lambda>", end};
  }
  static const std::regex op(R"(((?:~?\w+::)*operator\s*[^\s\w(][^\s(]*|(?:\w+::)*operator\s+\w[\w:<>*& ]*)\s*$)");
  static const std::regex plain(R"(((?:\w+(?:<[^<>()]*>)?::)*~?\w+(?:<[^<>()]*>)?)\s*$)");
  const std::string head = pre.substr(0, end + 1);
  if (std::regex_search(head, m, op) || std::regex_search(head, m, plain)) {
    return {trim(m[1].str()), static_cast<std::size_t>(m.position(1))};
  }
  return {"<unnamed>", end};
}

struct Scope {
  Block kind;
  std::string name;  // of a class scope
};

std::string qualified(const std::vector<Scope>& scopes, const std::string& name) {
  std::string out;
  for (const Scope& s : scopes) {
    if (s.kind == Block::type) out += s.name + "::";
  }
  return out + name;
}

}  // namespace

std::vector<SourceFile> load_tree(const fs::path& root) {
  std::vector<SourceFile> files;
  const std::set<std::string> extensions = {".cpp", ".hpp", ".h", ".cc", ".hh", ".cxx"};
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && (name.rfind("build", 0) == 0 || name.rfind('.', 0) == 0)) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || extensions.count(it->path().extension().string()) == 0) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    files.push_back({fs::relative(it->path(), root).generic_string(), text.str()});
  }
  std::sort(files.begin(), files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  return files;
}

std::string blank_comments(std::string_view source, bool keep_strings) {
  std::string text(source);
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '/' && next == '/') {
      const std::size_t end = std::min(text.find('\n', i), text.size());
      blank(text, i, end);
      i = end;
    } else if (c == '/' && next == '*') {
      const std::size_t close = text.find("*/", i + 2);
      const std::size_t end = close == std::string::npos ? text.size() : close + 2;
      blank(text, i, end);
      i = end;
    } else if (c == '"' && raw_string_prefix(text, i)) {
      const std::size_t end = raw_string_end(text, i);
      if (!keep_strings) blank(text, i + 1, end - 1);
      i = end;
    } else if (c == '"' || (c == '\'' && !digit_separator(text, i))) {
      std::size_t j = i + 1;
      while (j < text.size() && text[j] != c && text[j] != '\n') j += text[j] == '\\' ? 2 : 1;
      if (!keep_strings) blank(text, i + 1, j);
      i = j + 1;
    } else {
      ++i;
    }
  }
  return text;
}

std::vector<Include> includes_of(std::string_view text) {
  static const std::regex re(R"(^[ \t]*#[ \t]*include[ \t]*[<"]([^>"]+)[>"])");
  std::vector<Include> out;
  const std::string clean = blank_comments(text, true);
  std::istringstream lines(clean);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    std::smatch m;
    if (std::regex_search(line, m, re)) out.push_back({m[1].str(), n});
  }
  return out;
}

namespace {

// The first line of `code` (comments and literals blanked) that names a librdkafka
// identifier (rd_kafka_..., RD_KAFKA_...), with that name; 0 when none does.
std::pair<int, std::string> first_librdkafka_name(const std::string& code) {
  static const std::regex name(R"(\b(rd_kafka_\w+|RD_KAFKA_\w+))");
  std::smatch m;
  if (!std::regex_search(code, m, name)) return {0, {}};
  const auto line = std::count(code.begin(), code.begin() + m.position(0), '\n') + 1;
  return {static_cast<int>(line), m.str(1)};
}

}  // namespace

std::vector<std::string> librdkafka_offenders(const std::vector<SourceFile>& files) {
  std::vector<std::string> out;
  for (const SourceFile& f : files) {
    if (top_folder(f.path) == "kafka") continue;
    for (const Include& inc : includes_of(f.text)) {
      if (inc.target.rfind("librdkafka/", 0) == 0 || inc.target.rfind("kafka/detail/", 0) == 0) {
        out.push_back(f.path + ":" + std::to_string(inc.line) + ": includes <" + inc.target + ">");
      }
    }
    const auto [line, used] = first_librdkafka_name(blank_comments(f.text, false));
    if (line > 0) out.push_back(f.path + ":" + std::to_string(line) + ": uses " + used);
  }
  return out;
}

std::vector<std::string> dependency_offenders(const std::vector<SourceFile>& files) {
  static const std::set<std::string> project = {"agent",    "bench", "collectors", "core", "events",
                                                "exporters", "fleet", "kafka",      "tests", "tools"};
  static const std::map<std::string, std::set<std::string>> allowed = {
      {"core", {}},
      {"kafka", {"core"}},
      {"collectors", {"core", "kafka"}},
      {"exporters", {"core"}},
      {"fleet", {"core", "kafka", "exporters"}},
      {"events", {"core", "kafka", "fleet", "exporters"}},
  };  // agent/, tools/, bench/, tests/: anything
  std::vector<std::string> out;
  for (const SourceFile& f : files) {
    const std::string from = top_folder(f.path);
    const auto rule = allowed.find(from);
    if (rule == allowed.end()) continue;
    for (const Include& inc : includes_of(f.text)) {
      const std::string to = top_folder(inc.target);
      if (to == from || project.count(to) == 0 || rule->second.count(to) > 0) continue;
      out.push_back(f.path + ":" + std::to_string(inc.line) + ": " + from + "/ includes " + to +
                    "/ (\"" + inc.target + "\")");
    }
  }
  return out;
}

std::vector<Function> functions_of(const SourceFile& file) {
  std::string text = blank_comments(file.text, false);
  blank_preprocessor(text);
  std::vector<Function> out;
  std::vector<Scope> scopes;
  std::size_t header_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ';') {
      header_start = i + 1;
    } else if (c == '}') {
      if (!scopes.empty()) scopes.pop_back();
      header_start = i + 1;
    } else if (c == '{') {
      const std::string header = text.substr(header_start, i - header_start);
      const std::string before = trim(header);
      const bool member_init = in_initializer_list(header) && !before.empty() &&
                               (is_ident(before.back()) || before.back() == '>');
      if (paren_depth(header) > 0 || member_init) {  // a braced argument or member initializer
        i = matching_brace(text, i);
        continue;
      }
      const Block kind = classify(header);
      if (kind == Block::function) {
        const auto [name, at] = function_name_of(header);
        const std::size_t close = matching_brace(text, i);
        out.push_back({file.path, qualified(scopes, name), line_at(text, header_start + at),
                       line_at(text, close)});
        i = close;
        header_start = i + 1;
      } else if (kind == Block::other) {
        i = matching_brace(text, i);
        header_start = i + 1;
      } else {
        scopes.push_back({kind, kind == Block::type ? type_name_of(header) : std::string()});
        header_start = i + 1;
      }
    }
  }
  return out;
}

bool is_product_file(std::string_view path) {
  static const std::set<std::string> product = {"agent",     "core",  "kafka",  "collectors",
                                                "exporters", "events", "fleet", "tools"};
  return product.count(top_folder(path)) > 0;
}

std::vector<Function> long_functions(const std::vector<SourceFile>& files) {
  std::vector<Function> out;
  for (const SourceFile& f : files) {
    if (!is_product_file(f.path)) continue;
    for (Function& fn : functions_of(f)) {
      if (fn.lines() > kMaxFunctionLines) out.push_back(std::move(fn));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Function& a, const Function& b) { return a.lines() > b.lines(); });
  return out;
}

std::vector<AllowedLongFunction> parse_long_function_allow_list(std::string_view markdown) {
  std::vector<AllowedLongFunction> out;
  const std::size_t begin = markdown.find("<!-- long-functions -->");
  const std::size_t end = markdown.find("<!-- /long-functions -->");
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) return out;
  std::istringstream lines(std::string(markdown.substr(begin, end - begin)));
  std::string line;
  while (std::getline(lines, line)) {
    line = trim(line);
    if (line.size() < 2 || line.front() != '|') continue;
    std::vector<std::string> cells;
    std::stringstream row(line.substr(1));
    for (std::string cell; std::getline(row, cell, '|');) {
      cell.erase(std::remove(cell.begin(), cell.end(), '`'), cell.end());
      cells.push_back(trim(cell));
    }
    if (cells.size() < 3 || cells[0] == "file" || cells[0].find("---") != std::string::npos) continue;
    out.push_back({cells[0], cells[1], cells[2]});
  }
  return out;
}

std::vector<std::string> long_function_offenders(const std::vector<Function>& long_ones,
                                                 const std::vector<AllowedLongFunction>& allowed) {
  std::vector<std::string> out;
  const auto listed = [&](const Function& f) {
    return std::any_of(allowed.begin(), allowed.end(), [&](const AllowedLongFunction& a) {
      return a.file == f.file && a.function == f.name;
    });
  };
  for (const Function& f : long_ones) {
    if (!listed(f)) {
      out.push_back(f.file + ":" + std::to_string(f.first_line) + ": " + f.name + " is " +
                    std::to_string(f.lines()) + " lines (max " + std::to_string(kMaxFunctionLines) + ")");
    }
  }
  for (const AllowedLongFunction& a : allowed) {
    const bool still_long = std::any_of(long_ones.begin(), long_ones.end(), [&](const Function& f) {
      return a.file == f.file && a.function == f.name;
    });
    if (a.reason.empty()) out.push_back("allow-list: " + a.file + " " + a.function + " has no reason");
    if (!still_long) {
      out.push_back("allow-list: " + a.file + " " + a.function +
                    " is not a function over " + std::to_string(kMaxFunctionLines) +
                    " lines (any more): remove its row");
    }
  }
  return out;
}

}  // namespace ks::arch
