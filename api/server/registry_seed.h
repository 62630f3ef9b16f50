#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cep/base/result.h"
#include "rules/compiler.h"

namespace api::registry {
class RulesetRegistry;
}  // namespace api::registry

namespace api::server {

struct StartupRulesets {
  std::vector<rules::CompiledRuleset> live;
  std::vector<rules::CompiledRuleset> shadow;
};

// What `cep serve` runs at start. Each configured rule file (path, text) is
// stored in the registry as a version when its text is new; a version stored
// now, or a ruleset with nothing active yet, is activated live (deploying by
// file works). Otherwise the registry's activations stand, so a version
// activated or rolled back over REST survives a restart. Then every active
// version (live and shadow) is compiled. On a file whose version conflicts
// with a stored one, fails naming the file; diagnostics of a file that does
// not compile are in the error message.
cep::Result<StartupRulesets> SeedRegistry(registry::RulesetRegistry& registry,
                                          const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace api::server
