#include "agent/metrics_endpoint.hpp"

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

std::shared_ptr<const RenderedMetrics> MetricsEndpoint::current() {
  std::lock_guard lock(render_mutex_);
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (cached_ && cached_->generation == generation) return cached_;

  // The old body is stale: let it go before the new one is built, so the agent never holds
  // two (scrapes still sending it keep their own reference until they are done).
  cached_.reset();
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
  rendered->gzip = writer.finish_gzip(&rendered->plain_size);
  rendered->render_time = std::chrono::steady_clock::now() - started;
  render_seconds_.Set(rendered->render_time.count());
  render_bytes_.Set(static_cast<double>(rendered->plain_size));
  render_series_.Set(static_cast<double>(rendered->series));
  cached_ = std::move(rendered);
  return cached_;
}

}  // namespace ks
