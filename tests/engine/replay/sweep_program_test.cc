#include "engine/replay/sweep_program.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/sink/alert_id.h"
#include "rules/compiler.h"

namespace engine {
namespace {

// `big` reads LIMIT, `burst` reads COUNT, `plain` reads no const.
constexpr const char* kRules = R"(
ruleset sweep version 1
schema transaction
const LIMIT = 100
const COUNT = 3
rule big {
  key account_id
  pattern
    begin large where amount > LIMIT
}
rule plain {
  key account_id
  pattern
    begin casino where mcc == 7995
}
rule burst {
  key terminal_id
  window last 1h
  when count() >= COUNT
}
)";

std::shared_ptr<const cep::Program> Compile(const std::string& limit) {
  rules::CompileOptions options;
  options.const_overrides = {{"LIMIT", limit}};
  auto compiled = rules::CompileRuleset(kRules, options);
  EXPECT_TRUE(compiled.ok());
  return compiled->program;
}

TEST(SweepProgramTest, FindsTheRulesThatNameAConst) {
  EXPECT_EQ(RulesNamingConsts(kRules, {"LIMIT"}), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(RulesNamingConsts(kRules, {"COUNT"}), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(RulesNamingConsts(kRules, {"LIMIT", "COUNT"}), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(RulesNamingConsts(kRules, {"NONE"}), (std::vector<bool>{false, false, false}));
  EXPECT_TRUE(RulesNamingConsts("not a ruleset", {"LIMIT"}).empty());
}

TEST(SweepProgramTest, SharedRulesRunOnceAndVariantRulesOncePerVariant) {
  const std::vector<std::shared_ptr<const cep::Program>> variants = {Compile("50"), Compile("150")};
  // Rule fingerprints hash only the consts a rule names: they agree with
  // RulesNamingConsts on which rules the swept const leaves alone.
  EXPECT_NE(variants[0]->rules[0].fingerprint, variants[1]->rules[0].fingerprint);
  EXPECT_EQ(variants[0]->rules[1].fingerprint, variants[1]->rules[1].fingerprint);
  auto sweep = SweepProgram::Merge(variants, RulesNamingConsts(kRules, {"LIMIT"}));
  ASSERT_TRUE(sweep.ok()) << sweep.error().message();
  EXPECT_EQ(sweep->variants(), 2u);
  EXPECT_EQ(sweep->shared_rules(), 2u);
  std::vector<std::string> names;
  for (const cep::Rule& rule : sweep->program()->rules) names.push_back(rule.name);
  EXPECT_EQ(names, (std::vector<std::string>{"big#0", "big#1", "plain", "burst"}));
  EXPECT_EQ(sweep->MergedIndex(0, 0), 0u);
  EXPECT_EQ(sweep->MergedIndex(0, 1), 1u);
  EXPECT_EQ(sweep->MergedIndex(1, 1), 2u);
  EXPECT_EQ(sweep->MergedIndex(2, 0), 3u);
  EXPECT_EQ(sweep->program()->schema, variants[0]->schema);

  // An alert of big#1 becomes variant 1's alert of `big`, with the id a run of
  // that variant alone gives it.
  cep::v1::Alert alert;
  alert.set_ruleset("sweep");
  alert.set_version(1);
  alert.set_rule("big#1");
  alert.set_key("a");
  alert.set_ts_ms(1000);
  alert.set_alert_id(ComputeAlertId(alert));
  auto origin = sweep->Find("big#1");
  ASSERT_TRUE(origin.has_value());
  EXPECT_EQ(origin->rule, 0u);
  EXPECT_EQ(origin->variant, 1u);
  sweep->SplitAlert(alert, *origin);
  EXPECT_EQ(alert.rule(), "big");
  cep::v1::Alert alone = alert;
  alone.set_alert_id("");
  EXPECT_EQ(alert.alert_id(), ComputeAlertId(alone));

  auto shared = sweep->Find("plain");
  ASSERT_TRUE(shared.has_value());
  EXPECT_FALSE(shared->variant.has_value());
  EXPECT_FALSE(sweep->Find("big").has_value());
}

TEST(SweepProgramTest, RefusesVariantsOfDifferentRulesets) {
  auto other = rules::CompileRuleset(
      "ruleset other version 1\nschema transaction\n"
      "rule x { key account_id pattern begin a where amount > 1 }\n");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(SweepProgram::Merge({Compile("1"), other->program}, {true, false, false}).ok());
  EXPECT_FALSE(SweepProgram::Merge({Compile("1")}, {true}).ok()) << "one flag per rule";
  EXPECT_FALSE(SweepProgram::Merge({}, {}).ok());
}

}  // namespace
}  // namespace engine
