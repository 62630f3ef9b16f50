#include "api/server/registry_seed.h"

#include <spdlog/spdlog.h>

#include "api/registry/ruleset_registry.h"
#include "rules/diagnostic.h"

namespace api::server {

cep::Result<StartupRulesets> SeedRegistry(registry::RulesetRegistry& registry,
                                          const std::vector<std::pair<std::string, std::string>>& files) {
  for (const auto& [path, text] : files) {
    auto pushed = registry.Push(text);
    if (!pushed) {
      std::string message = path + ": " + pushed.error().message;
      if (!pushed.error().diagnostics.empty()) {
        message = rules::FormatDiagnostics(path, text, pushed.error().diagnostics);
      }
      return cep::Unexpected(cep::InvalidArgument(message));
    }
    const registry::StoredVersion& v = pushed->version;
    const auto info = registry.Info(v.name);
    const bool nothing_live = !info || !info->active.live;
    if (pushed->created || nothing_live) {
      RETURN_IF_ERROR(registry.SetActive(v.name, "live", v.version));
    } else if (*info->active.live != v.version) {
      spdlog::info("{}: {} has version {}, but version {} stays live (activated over the API)",
                   v.name, path, v.version, *info->active.live);
    }
  }
  StartupRulesets out;
  for (const registry::RulesetInfo& info : registry.List()) {
    for (bool shadow : {false, true}) {
      const std::optional<uint32_t> version = shadow ? info.active.shadow : info.active.live;
      if (!version) continue;
      ASSIGN_OR_RETURN(rules::CompiledRuleset compiled, registry.Compile(info.name, *version));
      (shadow ? out.shadow : out.live).push_back(std::move(compiled));
    }
  }
  return out;
}

}  // namespace api::server
