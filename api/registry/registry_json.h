#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string_view>
#include <vector>

#include "api/registry/ruleset_registry.h"
#include "rules/diagnostic.h"

namespace api::registry {

// The JSON bodies of the ruleset routes (INTERFACES.md REST, api/registry/README.md),
// in one place so that the REST handlers and the `cep rulesets` command agree.
// Pure functions: safe from any thread.

// [{"name", "kind", "fingerprint", "severity", "mode"}]
nlohmann::json RulesJson(const std::vector<RuleSummary>& rules);
// [{"rule", "change": "added|removed|changed|unchanged"}]
nlohmann::json DiffJson(const std::vector<RuleDiff>& diff);
// The `details` of a 422: [{"line", "col", "offset", "length", "message", "text": "7:12: ..."}]
nlohmann::json DiagnosticsJson(const std::vector<rules::Diagnostic>& diagnostics);

// POST /v1/rulesets: {"name", "version", "created", "created_ms", "rules", "diff_from_previous"}
// (201 when created, 200 when already stored).
nlohmann::json PushOutcomeJson(const PushOutcome& outcome);
// The error of a failed push: HTTP status (422, 409, 503), code and details.
int PushErrorStatus(const PushError& error);
std::string_view PushErrorCode(const PushError& error);  // invalid_ruleset | version_conflict | storage_error
nlohmann::json PushErrorDetails(const PushError& error);  // DiagnosticsJson, or []

// GET /v1/rulesets: {"rulesets": [{"name", "versions", "latest", "live", "shadow"}]}
nlohmann::json RulesetListJson(const std::vector<RulesetInfo>& rulesets);
// GET /v1/rulesets/{name}: {"name", "live", "shadow", "latest",
//                           "versions": [{"version", "created_ms", "rules"}]}
nlohmann::json RulesetJson(const RulesetInfo& info, const std::vector<StoredVersion>& versions);
// GET /v1/rulesets/{name}/diff: {"name", "from", "to", "rules": DiffJson}
nlohmann::json DiffResponseJson(std::string_view name, uint32_t from, uint32_t to,
                                const std::vector<RuleDiff>& diff);

}  // namespace api::registry
