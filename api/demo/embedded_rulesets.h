#pragma once

#include <string_view>
#include <vector>

namespace api {

// The example rulesets of rulesets/*.rules, compiled into the binary so that
// `cep demo` runs from anywhere with nothing but the binary. Generated at
// build time from the files (api/demo/embed_rulesets.cmake): they cannot drift.
struct EmbeddedRuleset {
  std::string_view file;  // "card_testing.rules"
  std::string_view text;
};
const std::vector<EmbeddedRuleset>& EmbeddedRulesets();

}  // namespace api
