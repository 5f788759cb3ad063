#include "agent/lag_report.hpp"

#include <algorithm>
#include <tuple>

#include "agent/text_table.hpp"

namespace ks {
namespace {

template <class T>
std::optional<T> optional_of(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

template <class T>
std::string or_dash(const std::optional<T>& v) {
  return v ? std::to_string(*v) : "-";
}

std::string seconds_cell(const std::optional<double>& v, bool lower_bound) {
  if (!v) return "-";
  return (lower_bound ? ">" : "") + human_seconds(*v);
}

}  // namespace

void append_lag_rows(const nlohmann::json& group, std::vector<LagRow>& rows) {
  const std::string name = group.at("group").get<std::string>();
  for (const nlohmann::json& topic : group.value("topics", nlohmann::json::array())) {
    const auto catch_up = optional_of<double>(topic, "catch_up_seconds");
    for (const nlohmann::json& p : topic.at("partitions")) {
      LagRow row;
      row.group = name;
      row.topic = topic.at("topic").get<std::string>();
      row.partition = p.at("partition").get<std::int32_t>();
      row.current_offset = p.at("current_offset").get<std::int64_t>();
      row.log_end_offset = optional_of<std::int64_t>(p, "log_end_offset");
      row.lag = optional_of<std::int64_t>(p, "lag");
      row.lag_seconds = optional_of<double>(p, "lag_seconds");
      row.lag_seconds_lower_bound = p.value("lag_seconds_lower_bound", false);
      row.status = p.value("status", "");
      row.catch_up_seconds = catch_up;
      rows.push_back(std::move(row));
    }
  }
}

void sort_lag_rows(std::vector<LagRow>& rows, LagSort sort) {
  auto by_name = [](const LagRow& a, const LagRow& b) {
    return std::tie(a.group, a.topic, a.partition) < std::tie(b.group, b.topic, b.partition);
  };
  // Highest first; unknown (absent) after every known value; ties by name.
  auto by_value = [&](auto value) {
    return [=](const LagRow& a, const LagRow& b) {
      const auto va = value(a), vb = value(b);
      if (va.has_value() != vb.has_value()) return va.has_value();
      if (va && *va != *vb) return *va > *vb;
      return by_name(a, b);
    };
  };
  switch (sort) {
    case LagSort::name: std::stable_sort(rows.begin(), rows.end(), by_name); break;
    case LagSort::lag:
      std::stable_sort(rows.begin(), rows.end(), by_value([](const LagRow& r) { return r.lag; }));
      break;
    case LagSort::seconds:
      std::stable_sort(rows.begin(), rows.end(), by_value([](const LagRow& r) { return r.lag_seconds; }));
      break;
  }
}

std::string render_lag_table(const std::vector<LagRow>& rows, std::size_t max_width) {
  const std::vector<TextColumn> columns = {
      {"GROUP", false, true},          {"TOPIC", false, true},   {"PARTITION", true, false},
      {"CURRENT-OFFSET", true, false}, {"LOG-END-OFFSET", true, false},
      {"LAG", true, false},            {"LAG-SECONDS", true, false},
      {"STATUS", false, false},        {"CATCH-UP", true, false}};
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  for (const LagRow& r : rows) {
    cells.push_back({r.group, r.topic, std::to_string(r.partition), std::to_string(r.current_offset),
                     or_dash(r.log_end_offset), or_dash(r.lag),
                     seconds_cell(r.lag_seconds, r.lag_seconds_lower_bound), r.status,
                     seconds_cell(r.catch_up_seconds, false)});
  }
  return render_table(columns, cells, max_width);
}

}  // namespace ks
