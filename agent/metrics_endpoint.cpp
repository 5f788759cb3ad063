#include "agent/metrics_endpoint.hpp"

#include <algorithm>

#include "exporters/prometheus/registry_bridge.hpp"

namespace ks {

MetricsEndpoint::MetricsEndpoint(SelfMetrics& self_metrics)
    : self_metrics_(self_metrics),
      render_seconds_(prometheus::BuildGauge()
                          .Name("kafka_sentinel_metrics_render_duration_seconds")
                          .Help("How long the last render of the /metrics body took.")
                          .Register(self_metrics.registry())
                          .Add({})),
      render_bytes_(prometheus::BuildGauge()
                        .Name("kafka_sentinel_metrics_body_bytes")
                        .Help("Size of the last rendered /metrics body, uncompressed.")
                        .Register(self_metrics.registry())
                        .Add({})),
      render_series_(prometheus::BuildGauge()
                         .Name("kafka_sentinel_metrics_series")
                         .Help("Samples in the last rendered /metrics body.")
                         .Register(self_metrics.registry())
                         .Add({})),
      renders_(prometheus::BuildCounter()
                   .Name("kafka_sentinel_metrics_renders_total")
                   .Help("Renders of the /metrics body (scrapes served from cache don't count).")
                   .Register(self_metrics.registry())
                   .Add({})) {}

void MetricsEndpoint::add_renderer(Renderer renderer) { renderers_.push_back(std::move(renderer)); }

void MetricsEndpoint::withdraw() {
  std::lock_guard lock(cache_mutex_);
  servable_from_ = generation_.fetch_add(1, std::memory_order_acq_rel) + 1;
  cached_.reset();
}

// The cached body when its generation is at least `at_least` (and not withdrawn), else null.
std::shared_ptr<const RenderedMetrics> MetricsEndpoint::cached_if(std::uint64_t at_least) {
  std::lock_guard lock(cache_mutex_);
  if (cached_ && cached_->generation >= std::max(at_least, servable_from_)) return cached_;
  return nullptr;
}

std::shared_ptr<const RenderedMetrics> MetricsEndpoint::current() {
  if (auto fresh = cached_if(generation_.load(std::memory_order_acquire))) return fresh;
  std::unique_lock rendering(render_mutex_, std::try_to_lock);
  if (!rendering.owns_lock()) {
    // Another request renders the new body: serve the previous one rather than wait.
    if (auto previous = cached_if(0)) return previous;
    rendering.lock();
  }
  // Rendered by someone else while this request waited for the lock?
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (auto fresh = cached_if(generation)) return fresh;
  auto rendered = render(generation);
  std::lock_guard lock(cache_mutex_);
  // A withdraw() during the render: this body may hold what was withdrawn; the next
  // request renders again (this one still answers its own request: it asked before).
  if (generation >= servable_from_) cached_ = rendered;
  return rendered;
}

// Under render_mutex_. The previous body stays cached while this one is built (scrapes meanwhile
// are served from it): two bodies, both gzip'd, at the peak.
std::shared_ptr<const RenderedMetrics> MetricsEndpoint::render(std::uint64_t generation) {
  const auto started = std::chrono::steady_clock::now();
  self_metrics_.refresh_process_metrics();
  renders_.Increment();
  prom::ExpositionWriter writer;
  writer.deflate_into(gzip_);
  for (const Renderer& render : renderers_) render(writer);
  // The self-metrics describe the render before this one: a render cannot include itself.
  prom::render_registry(self_metrics_.registry(), writer);
  auto rendered = std::make_shared<RenderedMetrics>();
  rendered->generation = generation;
  rendered->series = writer.sample_count();
  rendered->gzip = writer.finish_gzip_body(&rendered->plain_size);
  rendered->render_time = std::chrono::steady_clock::now() - started;
  render_seconds_.Set(rendered->render_time.count());
  render_bytes_.Set(static_cast<double>(rendered->plain_size));
  render_series_.Set(static_cast<double>(rendered->series));
  return rendered;
}

}  // namespace ks
