#include "exporters/prometheus/registry_bridge.hpp"

#include <fmt/format.h>

#include <vector>

namespace ks::prom {
namespace {

MetricType to_type(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter: return MetricType::counter;
    case prometheus::MetricType::Gauge: return MetricType::gauge;
    case prometheus::MetricType::Histogram: return MetricType::histogram;
    case prometheus::MetricType::Summary: return MetricType::summary;
    default: return MetricType::untyped;
  }
}

std::string bound_text(double bound) {
  std::string text;
  append_value(text, bound);
  return text;
}

}  // namespace

void render_registry(prometheus::Registry& registry, ExpositionWriter& out) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    out.family(family.name, family.help, to_type(family.type));
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::vector<Label> labels;
      labels.reserve(metric.label.size() + 1);
      for (const auto& pair : metric.label) labels.push_back({pair.name, pair.value});
      switch (family.type) {
        case prometheus::MetricType::Counter:
          out.sample(labels, metric.counter.value);
          break;
        case prometheus::MetricType::Gauge:
          out.sample(labels, metric.gauge.value);
          break;
        case prometheus::MetricType::Untyped:
          out.sample(labels, metric.untyped.value);
          break;
        case prometheus::MetricType::Histogram: {
          std::vector<std::string> bounds;
          for (const auto& bucket : metric.histogram.bucket) bounds.push_back(bound_text(bucket.upper_bound));
          for (std::size_t i = 0; i < metric.histogram.bucket.size(); ++i) {
            labels.push_back({"le", bounds[i]});
            out.sample(labels, static_cast<double>(metric.histogram.bucket[i].cumulative_count), "_bucket");
            labels.pop_back();
          }
          out.sample(labels, metric.histogram.sample_sum, "_sum");
          out.sample(labels, static_cast<double>(metric.histogram.sample_count), "_count");
          break;
        }
        case prometheus::MetricType::Summary: {
          std::vector<std::string> quantiles;
          for (const auto& q : metric.summary.quantile) quantiles.push_back(bound_text(q.quantile));
          for (std::size_t i = 0; i < metric.summary.quantile.size(); ++i) {
            labels.push_back({"quantile", quantiles[i]});
            out.sample(labels, metric.summary.quantile[i].value);
            labels.pop_back();
          }
          out.sample(labels, metric.summary.sample_sum, "_sum");
          out.sample(labels, static_cast<double>(metric.summary.sample_count), "_count");
          break;
        }
        default:
          break;
      }
    }
  }
}

}  // namespace ks::prom
