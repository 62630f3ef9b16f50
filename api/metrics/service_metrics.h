#pragma once

#include <cstdint>
#include <string>

#include "engine/service/service.h"

namespace api::metrics {

// What the HTTP server knows about itself, as plain numbers (api/rest fills it).
struct HttpServerFigures {
  uint64_t requests = 0;              // requests answered, any route and status
  uint64_t connections_open = 0;      // now
  uint64_t connections_accepted = 0;  // since start
  uint64_t connections_rejected = 0;  // refused (connection limit) since start
};

// Everything /metrics shows that engine::ServiceStats does not carry.
struct MetricsContext {
  int64_t now_ms = 0;   // wall clock, ms since the epoch: lags and ages are measured from it
  std::string version;  // the build (`cep --version`)
  bool ready = false;   // what GET /readyz answers, so both agree
  HttpServerFigures http;
  uint64_t ruleset_versions_stored = 0;  // over all rulesets in the registry
  uint64_t rulesets_active_live = 0;
  uint64_t rulesets_active_shadow = 0;
};

// The body of GET /metrics (Content-Type kPrometheusContentType): every metric
// listed in api/metrics/README.md, from one stats() reading. Series whose
// figure is unknown (no checkpoint yet, offsets not known, watermark not
// started) are left out rather than written as 0.
//
// Threading: a pure function; call it from any thread.
std::string RenderServiceMetrics(const engine::ServiceStats& stats, const MetricsContext& context);

}  // namespace api::metrics
