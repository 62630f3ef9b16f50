// /v1/rulesets: upload, validate, list, show, source, diff, activate (hot
// swap), deactivate, shadow diff.
#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "api/registry/registry_json.h"
#include "api/registry/ruleset_registry.h"
#include "api/server/routes.h"
#include "engine/service/service.h"

namespace api::server {
namespace {

using rest::ErrorResponse;
using rest::HttpRequest;
using rest::HttpResponse;
using rest::JsonResponse;
using rest::Scope;

// The DSL text of an upload: the body as text/plain, or {"source": "..."} as JSON.
std::optional<HttpResponse> RulesetText(const HttpRequest& request, std::string& text) {
  const std::string_view type = request.content_type();
  if (type == "application/json") {
    JsonBody body = ParseJsonBody(request);
    if (body.error) return body.error;
    if (!body.value.is_object() || !body.value.contains("source") || !body.value["source"].is_string()) {
      return ErrorResponse(400, "bad_request", R"(expected {"source": "<ruleset text>"})");
    }
    text = body.value["source"].get<std::string>();
    return std::nullopt;
  }
  if (type != "text/plain" && !type.empty()) {
    return ErrorResponse(415, "unsupported_media_type",
                         "send the ruleset as text/plain, or as JSON {\"source\": ...}");
  }
  if (!IsUtf8(request.body)) {
    return ErrorResponse(400, "invalid_utf8", "the ruleset text is not valid UTF-8");
  }
  text = request.body;
  return std::nullopt;
}

std::optional<uint32_t> ParseVersion(std::string_view text) {
  uint32_t v = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (error != std::errc() || end != text.data() + text.size() || v == 0) return std::nullopt;
  return v;
}

nlohmann::json ActivationJson(const engine::ActivationReport& report) {
  nlohmann::json rules = nlohmann::json::array();
  for (const engine::RuleSwapOutcome& r : report.rules) {
    rules.push_back({{"rule", r.rule}, {"state", r.state}, {"reason", r.reason}});
  }
  return {{"name", report.ruleset},
          {"version", report.version},
          {"mode", report.mode},
          {"previous", report.previous ? nlohmann::json(*report.previous) : nlohmann::json()},
          {"pause_ms", report.pause_ms},
          {"keys_kept", report.keys_kept},
          {"keys_dropped", report.keys_dropped},
          {"rules", rules}};
}

HttpResponse Push(ApiContext& c, HttpRequest& request) {
  std::string text;
  if (auto error = RulesetText(request, text)) return *error;
  auto pushed = c.registry->Push(text);
  if (!pushed) {
    const registry::PushError& e = pushed.error();
    return ErrorResponse(registry::PushErrorStatus(e), registry::PushErrorCode(e), e.message,
                         registry::PushErrorDetails(e));
  }
  spdlog::info("ruleset {} version {} {}", pushed->version.name, pushed->version.version,
               pushed->created ? "stored" : "already stored");
  HttpResponse response = JsonResponse(pushed->created ? 201 : 200, registry::PushOutcomeJson(*pushed));
  response.headers.emplace_back("Location", "/v1/rulesets/" + pushed->version.name + "/versions/" +
                                                std::to_string(pushed->version.version));
  return response;
}

HttpResponse Validate(ApiContext& c, HttpRequest& request) {
  std::string text;
  if (auto error = RulesetText(request, text)) return *error;
  auto compiled = c.registry->Validate(text);
  if (!compiled) {
    return ErrorResponse(422, "invalid_ruleset",
                         std::to_string(compiled.error().size()) + " problem(s) in the ruleset",
                         registry::DiagnosticsJson(compiled.error()));
  }
  const cep::Program& program = *compiled->program;
  nlohmann::json rules = nlohmann::json::array();
  for (const cep::Rule& rule : program.rules) {
    rules.push_back({{"name", rule.name}, {"kind", rule.is_pattern() ? "pattern" : "window"}});
  }
  return JsonResponse(200, {{"valid", true}, {"name", program.ruleset}, {"version", program.version},
                            {"rules", rules}});
}

HttpResponse Show(ApiContext& c, HttpRequest& request) {
  const std::string& name = request.params.at("name");
  auto info = c.registry->Info(name);
  if (!info) return ErrorResponse(404, "not_found", "no ruleset " + name);
  std::vector<registry::StoredVersion> versions;
  for (uint32_t v : info->versions) {
    if (auto stored = c.registry->Version(name, v)) versions.push_back(std::move(*stored));
  }
  return JsonResponse(200, registry::RulesetJson(*info, versions));
}

HttpResponse Source(ApiContext& c, HttpRequest& request) {
  const std::string& name = request.params.at("name");
  auto v = ParseVersion(request.params.at("v"));
  if (!v) return ErrorResponse(400, "bad_request", "the version must be a positive integer");
  auto stored = c.registry->Version(name, *v);
  if (!stored) return ErrorResponse(404, "not_found", name + " has no version " + std::to_string(*v));
  if (request.query.count("format") && request.query.at("format") == "json") {
    return JsonResponse(200, {{"name", stored->name},
                              {"version", stored->version},
                              {"created_ms", stored->created_ms},
                              {"source", stored->source},
                              {"rules", registry::RulesJson(stored->rules)}});
  }
  return rest::TextResponse(200, stored->source);
}

HttpResponse Diff(ApiContext& c, HttpRequest& request) {
  const std::string& name = request.params.at("name");
  auto from = request.query.count("from") ? ParseVersion(request.query.at("from")) : std::nullopt;
  auto to = request.query.count("to") ? ParseVersion(request.query.at("to")) : std::nullopt;
  if (!from || !to) return ErrorResponse(400, "bad_request", "give ?from=A&to=B, two versions");
  auto diff = c.registry->Diff(name, *from, *to);
  if (!diff) return StatusResponse(diff.error());
  return JsonResponse(200, registry::DiffResponseJson(name, *from, *to, *diff));
}

HttpResponse Activate(ApiContext& c, HttpRequest& request) {
  const std::string& name = request.params.at("name");
  JsonBody body = ParseJsonBody(request);
  if (body.error) return *body.error;
  if (!body.value.is_object()) return ErrorResponse(400, "bad_request", R"(expected {"version": N, "mode": "live"|"shadow"})");
  std::string mode = "live";
  if (body.value.contains("mode")) {
    if (!body.value["mode"].is_string()) return ErrorResponse(400, "bad_request", "mode must be \"live\" or \"shadow\"");
    mode = body.value["mode"].get<std::string>();
  }
  if (mode != "live" && mode != "shadow") {
    return ErrorResponse(400, "bad_request", "mode must be \"live\" or \"shadow\", not \"" + mode + "\"");
  }
  std::optional<uint32_t> version;
  if (body.value.contains("version")) {
    const auto& v = body.value["version"];
    if (!v.is_number_unsigned() || v.get<uint64_t>() == 0 || v.get<uint64_t>() > UINT32_MAX) {
      return ErrorResponse(400, "bad_request", "version must be a positive integer");
    }
    version = v.get<uint32_t>();
  } else {
    version = c.registry->Latest(name);
    if (!version) return ErrorResponse(404, "not_found", "no ruleset " + name);
  }
  std::lock_guard lock(c.lifecycle);
  auto compiled = c.registry->Compile(name, *version);
  if (!compiled) return StatusResponse(compiled.error());
  auto report = c.service->Activate(std::move(*compiled), mode, c.swap_timeout);
  if (!report) return StatusResponse(report.error());
  if (cep::Status s = c.registry->SetActive(name, mode, *version); !s.ok()) {
    spdlog::error("{} version {} runs ({}) but the registry did not record it: {}", name, *version,
                  mode, s.message());
    return StatusResponse(s);
  }
  return JsonResponse(200, ActivationJson(*report));
}

HttpResponse Deactivate(ApiContext& c, HttpRequest& request) {
  const std::string& name = request.params.at("name");
  std::vector<std::string> modes;
  if (request.query.count("mode")) {
    const std::string& mode = request.query.at("mode");
    if (mode != "live" && mode != "shadow") return ErrorResponse(400, "bad_request", "mode must be live or shadow");
    modes.push_back(mode);
  } else {
    modes = {"live", "shadow"};
  }
  std::lock_guard lock(c.lifecycle);
  auto info = c.registry->Info(name);
  if (!info) return ErrorResponse(404, "not_found", "no ruleset " + name);
  nlohmann::json stopped = nlohmann::json::array();
  for (const std::string& mode : modes) {
    const bool active = mode == "live" ? info->active.live.has_value() : info->active.shadow.has_value();
    cep::Status s = c.service->Deactivate(name, mode, c.swap_timeout);
    if (!s.ok() && s.code() != cep::StatusCode::kNotFound) return StatusResponse(s);
    if (active || s.ok()) {
      if (cep::Status cleared = c.registry->ClearActive(name, mode); !cleared.ok()) return StatusResponse(cleared);
      stopped.push_back(mode);
    }
  }
  if (stopped.empty()) return ErrorResponse(409, "not_active", name + " is not active");
  return JsonResponse(200, {{"name", name}, {"deactivated", stopped}});
}

HttpResponse ShadowDiff(ApiContext& c, HttpRequest& request) {
  const std::string& name = request.params.at("name");
  auto report = c.service->shadow_diff(name);
  if (!report) return ErrorResponse(404, "not_found", name + " runs in no shadow mode now");
  nlohmann::json rules = nlohmann::json::array();
  uint64_t added = 0;
  uint64_t removed = 0;
  for (const auto& r : report->rules) {
    rules.push_back({{"rule", r.rule}, {"live", r.live}, {"shadow", r.shadow}, {"both", r.both},
                     {"added", r.added}, {"removed", r.removed}, {"pending", r.pending}});
    added += r.added;
    removed += r.removed;
  }
  return JsonResponse(200, {{"name", name},
                            {"live_version", report->live_version ? nlohmann::json(report->live_version) : nlohmann::json()},
                            {"shadow_version", report->shadow_version},
                            {"since_ms", report->since_ms},
                            {"added", added},
                            {"removed", removed},
                            {"overflowed", report->overflowed},
                            {"rules", rules}});
}

}  // namespace

void AddRulesetRoutes(rest::Router& router, ApiContext& c) {
  auto bind = [&c](HttpResponse (*f)(ApiContext&, HttpRequest&)) {
    return [&c, f](HttpRequest& request) { return f(c, request); };
  };
  router.Add("POST", "/v1/rulesets", Scope::kAdmin, bind(Push));
  router.Add("POST", "/v1/rulesets/validate", Scope::kRead, bind(Validate));
  router.Add("GET", "/v1/rulesets", Scope::kRead, [&c](HttpRequest&) {
    return JsonResponse(200, registry::RulesetListJson(c.registry->List()));
  });
  router.Add("GET", "/v1/rulesets/{name}", Scope::kRead, bind(Show));
  router.Add("GET", "/v1/rulesets/{name}/versions/{v}", Scope::kRead, bind(Source));
  router.Add("GET", "/v1/rulesets/{name}/diff", Scope::kRead, bind(Diff));
  router.Add("POST", "/v1/rulesets/{name}/activate", Scope::kAdmin, bind(Activate));
  router.Add("DELETE", "/v1/rulesets/{name}", Scope::kAdmin, bind(Deactivate));
  router.Add("GET", "/v1/rulesets/{name}/shadow-diff", Scope::kRead, bind(ShadowDiff));
}

}  // namespace api::server
