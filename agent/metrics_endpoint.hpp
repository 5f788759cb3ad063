// The /metrics body, rendered once per new generation of snapshots and cached gzip'd:
// extra scrapers cost a copy each, not a render each. Only the gzip is kept (the plain
// text is inflated from it for a scraper that does not accept gzip: GunzipStream), and it
// is deflated block by block as it is written, so neither a render nor the cache holds the
// body's text (~100 MB at 20,000 groups x 10 partitions; docs/performance.md).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/self_metrics.hpp"
#include "exporters/prometheus/exposition_writer.hpp"
#include "exporters/prometheus/gzip_body.hpp"
#include "exporters/prometheus/gzip_pieces.hpp"

namespace ks {

struct RenderedMetrics {
  std::uint64_t generation = 0;
  // In parts shared with the renderer's GzipPieces (the deflated pieces it keeps for the
  // next render): the compressed body is held once, not twice.
  prom::GzipBody gzip;
  std::size_t plain_size = 0;  // of the body uncompressed
  std::size_t series = 0;
  std::chrono::duration<double> render_time{};
};

class MetricsEndpoint {
 public:
  using Renderer = std::function<void(prom::ExpositionWriter&)>;

  explicit MetricsEndpoint(SelfMetrics& self_metrics);

  void add_renderer(Renderer renderer);
  // Something a renderer reads has changed: the next request renders anew. Requests that
  // arrive while that render runs get the previous body (at most one render old) instead of
  // queueing behind it: with many scrapers, waiting for every render is the latency tail.
  void invalidate() { generation_.fetch_add(1, std::memory_order_acq_rel); }
  // As invalidate(), and no body rendered before this call is served again: for what must
  // be gone at once (a fleet role lost: another agent may export it from now on).
  void withdraw();
  // The cached body, rendered first if it is older than the latest generation (or the
  // previous one, while another request renders and nothing was withdrawn since).
  std::shared_ptr<const RenderedMetrics> current();

 private:
  SelfMetrics& self_metrics_;
  std::vector<Renderer> renderers_;
  std::atomic<std::uint64_t> generation_{1};
  std::shared_ptr<const RenderedMetrics> render(std::uint64_t generation);
  std::shared_ptr<const RenderedMetrics> cached_if(std::uint64_t at_least);

  std::mutex render_mutex_;  // one render at a time
  std::mutex cache_mutex_;   // cached_ and servable_from_ (held for a pointer copy only)
  std::shared_ptr<const RenderedMetrics> cached_;
  std::uint64_t servable_from_ = 0;  // the oldest generation that may still be served
  prom::GzipPieces gzip_;  // deflates only the pieces that changed since the last render
  prometheus::Gauge& render_seconds_;
  prometheus::Gauge& render_bytes_;
  prometheus::Gauge& render_series_;
  prometheus::Counter& renders_;
};

}  // namespace ks
