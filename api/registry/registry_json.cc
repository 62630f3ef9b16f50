#include "api/registry/registry_json.h"

#include <nlohmann/json.hpp>
#include <string>

namespace api::registry {
namespace {

using Json = nlohmann::json;

Json OrNull(const std::optional<uint32_t>& version) {
  return version ? Json(*version) : Json(nullptr);
}

}  // namespace

Json RulesJson(const std::vector<RuleSummary>& rules) {
  Json out = Json::array();
  for (const RuleSummary& r : rules) {
    out.push_back({{"name", r.name},
                   {"kind", r.kind},
                   {"fingerprint", r.fingerprint},
                   {"severity", r.severity},
                   {"mode", r.mode}});
  }
  return out;
}

Json DiffJson(const std::vector<RuleDiff>& diff) {
  Json out = Json::array();
  for (const RuleDiff& d : diff) out.push_back({{"rule", d.rule}, {"change", RuleChangeName(d.change)}});
  return out;
}

Json DiagnosticsJson(const std::vector<rules::Diagnostic>& diagnostics) {
  Json out = Json::array();
  for (const rules::Diagnostic& d : diagnostics) {
    out.push_back({{"line", d.span.line},
                   {"col", d.span.col},
                   {"offset", d.span.offset},
                   {"length", d.span.length},
                   {"message", d.message},
                   {"text", std::to_string(d.span.line) + ":" + std::to_string(d.span.col) + ": " +
                                d.message}});
  }
  return out;
}

Json PushOutcomeJson(const PushOutcome& outcome) {
  return {{"name", outcome.version.name},
          {"version", outcome.version.version},
          {"created", outcome.created},
          {"created_ms", outcome.version.created_ms},
          {"rules", RulesJson(outcome.version.rules)},
          {"diff_from_previous", DiffJson(outcome.diff_from_previous)}};
}

int PushErrorStatus(const PushError& error) {
  switch (error.kind) {
    case PushError::kInvalid: return 422;
    case PushError::kConflict: return 409;
    case PushError::kStorage: return 503;
  }
  return 500;
}

std::string_view PushErrorCode(const PushError& error) {
  switch (error.kind) {
    case PushError::kInvalid: return "invalid_ruleset";
    case PushError::kConflict: return "version_conflict";
    case PushError::kStorage: return "storage_error";
  }
  return "internal";
}

Json PushErrorDetails(const PushError& error) { return DiagnosticsJson(error.diagnostics); }

Json RulesetListJson(const std::vector<RulesetInfo>& rulesets) {
  Json list = Json::array();
  for (const RulesetInfo& info : rulesets) {
    list.push_back({{"name", info.name},
                    {"versions", info.versions},
                    {"latest", info.versions.empty() ? Json(nullptr) : Json(info.versions.back())},
                    {"live", OrNull(info.active.live)},
                    {"shadow", OrNull(info.active.shadow)}});
  }
  return {{"rulesets", std::move(list)}};
}

Json RulesetJson(const RulesetInfo& info, const std::vector<StoredVersion>& versions) {
  Json list = Json::array();
  for (const StoredVersion& v : versions) {
    list.push_back({{"version", v.version}, {"created_ms", v.created_ms}, {"rules", RulesJson(v.rules)}});
  }
  return {{"name", info.name},
          {"live", OrNull(info.active.live)},
          {"shadow", OrNull(info.active.shadow)},
          {"latest", info.versions.empty() ? Json(nullptr) : Json(info.versions.back())},
          {"versions", std::move(list)}};
}

Json DiffResponseJson(std::string_view name, uint32_t from, uint32_t to,
                      const std::vector<RuleDiff>& diff) {
  return {{"name", name}, {"from", from}, {"to", to}, {"rules", DiffJson(diff)}};
}

}  // namespace api::registry
