// Events in (POST /v1/events), explain (GET /v1/keys/{key}/state), /metrics,
// /healthz and /readyz.
#include <mutex>
#include <nlohmann/json.hpp>
#include <variant>

#include "api/metrics/prometheus_writer.h"
#include "api/metrics/service_metrics.h"
#include "api/registry/ruleset_registry.h"
#include "api/server/routes.h"
#include "cep/key_explanation.h"
#include "cep/ruleset_runner.h"
#include "engine/service/service.h"

namespace api::server {
namespace {

using rest::ErrorResponse;
using rest::HttpRequest;
using rest::HttpResponse;
using rest::JsonResponse;
using rest::Scope;

constexpr size_t kMaxErrorsListed = 100;

// The body as one JSON object per line: JSONL, or JSON (an object or an array
// of objects). Lines are kept as text: the service decodes them itself.
std::optional<HttpResponse> EventLines(const HttpRequest& request, std::vector<std::string>& lines) {
  const std::string_view type = request.content_type();
  if (!IsUtf8(request.body)) return ErrorResponse(400, "invalid_utf8", "the body is not valid UTF-8");
  if (type == "application/x-ndjson" || type == "application/jsonl" || type == "application/jsonlines" ||
      type == "text/plain") {
    size_t start = 0;
    while (start <= request.body.size()) {
      size_t end = request.body.find('\n', start);
      if (end == std::string::npos) end = request.body.size();
      std::string_view line(request.body.data() + start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) lines.emplace_back(line);
      start = end + 1;
    }
    return std::nullopt;
  }
  JsonBody body = ParseJsonBody(request);
  if (body.error) return body.error;
  if (body.value.is_object()) {
    lines.push_back(body.value.dump());
  } else if (body.value.is_array()) {
    for (const auto& item : body.value) lines.push_back(item.dump());
  } else {
    return ErrorResponse(400, "bad_request", "expected an event object or an array of them");
  }
  return std::nullopt;
}

HttpResponse Ingest(ApiContext& c, HttpRequest& request) {
  std::vector<std::string> lines;
  if (auto error = EventLines(request, lines)) return *error;
  if (lines.empty()) return ErrorResponse(400, "bad_request", "no events in the body");
  const size_t offered = lines.size();
  engine::Service::IngestResult result = c.service->IngestJson(std::move(lines), c.ingest_timeout);
  if (result.no_ruleset) {
    return ErrorResponse(409, "no_active_ruleset",
                         "no ruleset is active: activate one (POST /v1/rulesets/{name}/activate)");
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& [line, reason] : result.rejected) {
    if (errors.size() == kMaxErrorsListed) break;
    errors.push_back({{"line", line + 1}, {"message", reason}});
  }
  nlohmann::json body = {{"received", offered},
                         {"accepted", result.accepted},
                         {"rejected", result.rejected.size()},
                         {"errors", errors}};
  if (result.timed_out) {
    body["message"] = "the ingest queue stayed full: only the first accepted lines were taken; retry the rest";
    return JsonResponse(503, body);
  }
  // 200 when every line went in; 422 when none did; 207-like partial: 200 with errors listed.
  return JsonResponse(result.accepted == 0 ? 422 : 200, body);
}

nlohmann::json FieldJson(const cep::FieldValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else {
          return v;
        }
      },
      value);
}

nlohmann::json EventIds(const std::vector<std::shared_ptr<const cep::Event>>& events) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& event : events) ids.push_back(std::string(event->id()));
  return ids;
}

nlohmann::json RuleJson(const cep::RuleKeyExplanation& rule, cep::EventTime watermark) {
  nlohmann::json out = {{"rule", rule.rule_name}, {"kind", rule.kind}};
  if (rule.kind == "pattern") {
    nlohmann::json matches = nlohmann::json::array();
    for (const cep::PartialMatchView& m : rule.partial_matches) {
      nlohmann::json stages = nlohmann::json::object();
      for (const auto& [stage, events] : m.stages) stages[stage] = EventIds(events);
      nlohmann::json match = {{"stages", stages}, {"started_ms", m.started.millis()}};
      if (m.expires) {
        match["expires_ms"] = m.expires->millis();
        match["time_left_ms"] = std::max<int64_t>(0, (*m.expires - watermark).millis());
      }
      matches.push_back(std::move(match));
    }
    out["partial_matches"] = std::move(matches);
  } else {
    nlohmann::json windows = nlohmann::json::array();
    for (const cep::WindowView& w : rule.windows) {
      nlohmann::json aggregates = nlohmann::json::object();
      for (const auto& [name, value] : w.aggregates) aggregates[name] = FieldJson(value);
      nlohmann::json window = {{"aggregates", aggregates},
                               {"start_ms", w.window_start.millis()},
                               {"end_ms", w.window_end.millis()}};
      if (w.events) window["events"] = *w.events;
      windows.push_back(std::move(window));
    }
    out["windows"] = std::move(windows);
  }
  if (rule.suppressed_until) out["suppressed_until_ms"] = rule.suppressed_until->millis();
  return out;
}

HttpResponse KeyState(ApiContext& c, HttpRequest& request) {
  const std::string key = request.params.at("key");
  struct Found {
    std::mutex mutex;
    nlohmann::json rulesets = nlohmann::json::array();
    size_t pending = 0;
  };
  auto found = std::make_shared<Found>();
  cep::Status visited = c.service->VisitSlots(
      [found, key](const engine::ActiveRuleset& lane, uint32_t slot,
                   const std::vector<engine::KeyGroup>&, const engine::SlotRunners& runners) {
        for (const auto& runner : runners) {
          const cep::KeyExplanation e = runner->Explain(key);
          if (e.rules.empty() && e.pending_events == 0) continue;
          nlohmann::json rules = nlohmann::json::array();
          for (const cep::RuleKeyExplanation& rule : e.rules) rules.push_back(RuleJson(rule, e.watermark));
          std::lock_guard lock(found->mutex);
          found->pending += e.pending_events;
          found->rulesets.push_back({{"ruleset", lane.name},
                                     {"version", lane.version},
                                     {"mode", lane.mode},
                                     {"slot", slot},
                                     {"watermark_ms", e.watermark.millis()},
                                     {"pending_events", e.pending_events},
                                     {"rules", rules}});
        }
      },
      c.swap_timeout);
  if (!visited.ok()) return StatusResponse(visited);
  std::lock_guard lock(found->mutex);
  return JsonResponse(200, {{"key", key}, {"pending_events", found->pending}, {"state", found->rulesets}});
}

// Ready: restored, and reading the input (or nothing to read: no ruleset runs).
bool Ready(const engine::ServiceStats& stats, const engine::Service& service) {
  return service.running() && stats.restored && (stats.consuming || service.active().empty());
}

HttpResponse Metrics(ApiContext& c, HttpRequest&) {
  const engine::ServiceStats stats = c.service->stats();
  metrics::MetricsContext context;
  context.now_ms = c.clock->Now().millis();
  context.version = c.version;
  context.ready = Ready(stats, *c.service);
  if (c.http_stats) {
    const rest::HttpServerStats http = c.http_stats();
    context.http = {http.requests, http.open_connections, http.connections_accepted,
                    http.connections_rejected};
  }
  for (const registry::RulesetInfo& info : c.registry->List()) {
    context.ruleset_versions_stored += info.versions.size();
  }
  for (const engine::ActiveRuleset& active : c.service->active()) {
    (active.mode == "shadow" ? context.rulesets_active_shadow : context.rulesets_active_live)++;
  }
  return rest::TextResponse(200, metrics::RenderServiceMetrics(stats, context),
                            std::string(metrics::kPrometheusContentType));
}

}  // namespace

void AddRuntimeRoutes(rest::Router& router, ApiContext& c) {
  router.Add("POST", "/v1/events", Scope::kAdmin, [&c](HttpRequest& r) { return Ingest(c, r); });
  router.Add("GET", "/v1/keys/{key}/state", Scope::kRead, [&c](HttpRequest& r) { return KeyState(c, r); });
  router.Add("GET", "/metrics", Scope::kRead, [&c](HttpRequest& r) { return Metrics(c, r); });
  router.Add("GET", "/healthz", Scope::kNone, [&c](HttpRequest&) {
    if (!c.service->running()) {
      return ErrorResponse(503, "stopped", "the service stopped: " + c.service->error().message());
    }
    return JsonResponse(200, {{"status", "ok"}});
  });
  router.Add("GET", "/readyz", Scope::kNone, [&c](HttpRequest&) {
    const engine::ServiceStats stats = c.service->stats();
    if (!Ready(stats, *c.service)) {
      return ErrorResponse(503, "not_ready", stats.restored ? "not consuming the input yet" : "restoring");
    }
    return JsonResponse(200, {{"status", "ready"}});
  });
}

}  // namespace api::server
