#include "rules/checker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rules/parser.h"
#include "tests/rules/test_util.h"

namespace rules {
namespace {

using ::testing::ElementsAre;

// Messages of checking `rules` (rule bodies appended to a ruleset header).
std::vector<std::string> CheckErrors(const std::string& rules) {
  const std::string text = "ruleset r version 1\n" + rules;
  auto parsed = Parse(text);
  if (!parsed.ok()) return {"parse: " + parsed.error().front().message};
  auto checked = Check(std::move(*parsed));
  if (checked.ok()) return {};
  std::vector<std::string> out;
  for (const Diagnostic& d : checked.error()) out.push_back(d.message);
  return out;
}

TEST(CheckerTest, CorpusRulesetsWithTheBuiltInSchemaCheck) {
  for (const auto& [name, contents] : testing::CorpusFiles()) {
    if (name != "every_item.rules" && name != "declared_schema.rules" &&
        name != "velocity.rules") {
      continue;
    }
    auto parsed = Parse(contents);
    ASSERT_TRUE(parsed.ok()) << name;
    auto checked = Check(std::move(*parsed));
    EXPECT_TRUE(checked.ok()) << FormatDiagnostics(name, contents, checked.error());
  }
}

TEST(CheckerTest, TheDslMdExampleFailsOnlyOnItsUnknownTypeField) {
  for (const auto& [name, contents] : testing::CorpusFiles()) {
    if (name != "dsl_md_card_fraud.rules") continue;
    auto parsed = Parse(contents);
    ASSERT_TRUE(parsed.ok());
    auto checked = Check(std::move(*parsed));
    ASSERT_FALSE(checked.ok());
    // The built-in schema calls it `kind`; the example's `type` is reported.
    EXPECT_THAT(testing::Messages(checked.error()),
                ElementsAre("22:9: unknown field 'type'"));
  }
}

TEST(CheckerTest, AnnotatesTypesSlotsAndStages) {
  auto parsed = Parse(R"(ruleset r version 1
const L = [1, 2.5]
rule a {
  key account_id
  pattern
    begin s where amount < 5 times 3
    next l where l.amount > 10 * s.amount and mcc in L and attrs.browser == "x"
    within 10m
  emit { total: sum(s.amount), n: count(s) }
})");
  ASSERT_TRUE(parsed.ok());
  auto checked = Check(std::move(*parsed));
  ASSERT_TRUE(checked.ok()) << checked.error().front().message;
  const Rule& rule = checked->ast.rules[0];
  const Expr& where = *rule.pattern->stages[1].where;  // ((l.amount > ...) and (mcc in L)) and ...
  const Expr& amount_cmp = *where.args[0]->args[0];
  EXPECT_EQ(amount_cmp.args[0]->resolved.ref, RefKind::kField);  // own stage, not looping: event
  const Expr& product = *amount_cmp.args[1];
  EXPECT_EQ(product.resolved.type, cep::Type::kDecimal);
  EXPECT_EQ(product.args[1]->resolved.ref, RefKind::kStageField);
  EXPECT_EQ(product.args[1]->resolved.stage, 0u);
  const Expr& in = *where.args[0]->args[1];
  EXPECT_EQ(in.args[1]->resolved.ref, RefKind::kConst);
  EXPECT_TRUE(in.args[1]->resolved.is_list);
  EXPECT_EQ(in.args[1]->resolved.type, cep::Type::kDecimal);
  EXPECT_TRUE(checked->schema.Find("attrs.browser").has_value());
  EXPECT_EQ(where.args[1]->args[0]->resolved.slot, *checked->schema.Find("attrs.browser"));
  EXPECT_EQ((*rule.emit)[1].value->resolved.ref, RefKind::kStageAggregate);
  EXPECT_EQ((*rule.emit)[1].value->resolved.type, cep::Type::kInt);
}

TEST(CheckerTest, NamesAndTypes) {
  const std::string p = "rule a { key account_id pattern begin s where ";
  const std::string q = " within 1m }";
  EXPECT_THAT(CheckErrors(p + "label == 1" + q),
              ElementsAre("rules cannot read label: a backtest must never peek at the answer"));
  EXPECT_THAT(CheckErrors(p + "amout > 1" + q), ElementsAre("unknown field 'amout'"));
  EXPECT_THAT(CheckErrors(p + "amount > \"x\"" + q),
              ElementsAre("'>' orders numbers, strings, times or durations of one kind; got "
                          "decimal and string"));
  EXPECT_THAT(CheckErrors(p + "amount + 1" + q),
              ElementsAre("a stage's 'where' must be a condition (bool), got decimal"));
  EXPECT_THAT(CheckErrors(p + "mcc ~ /x/" + q),
              ElementsAre("'~' needs a string field on its left, got int"));
  EXPECT_THAT(CheckErrors(p + "merchant ~ \"x\"" + q),
              ElementsAre("'~' needs a regex such as /casino/i on its right"));
  EXPECT_THAT(CheckErrors(p + "mcc in [\"a\"]" + q),
              ElementsAre("'in' compares int with a list of string"));
  EXPECT_THAT(CheckErrors(p + "lower(mcc) == \"x\"" + q),
              ElementsAre("lower() needs a string, got int"));
  EXPECT_THAT(CheckErrors(p + "nope(mcc)" + q), ElementsAre("unknown function 'nope'"));
  EXPECT_THAT(CheckErrors(p + "ts - 5m < ts and lat * 2 > amount and amount > 1" + q),
              ElementsAre());
}

TEST(CheckerTest, StagesAggregatesAndBoundedState) {
  EXPECT_THAT(CheckErrors("rule a { pattern begin s where t.amount > 1 next t within 1m }"),
              ElementsAre("stage 't' comes later in the pattern; a condition can refer to "
                          "earlier stages only"));
  EXPECT_THAT(CheckErrors("rule a { pattern begin s where s.amount > 1 next t where t.amount > "
                          "s.amount within 1m }"),
              ElementsAre());  // a single stage's own name reads the current event
  EXPECT_THAT(CheckErrors("rule a { pattern begin s one_or_more where sum(s.amount) < 100 "
                          "within 1m }"),
              ElementsAre());
  EXPECT_THAT(CheckErrors("rule a { pattern begin s one_or_more next t }"),
              ElementsAre("a pattern with a looping stage needs 'within' to bound its state (or "
                          "say 'unbounded' in the rule)"));
  EXPECT_THAT(CheckErrors("rule a { pattern begin s one_or_more next t unbounded }"),
              ElementsAre());
  EXPECT_THAT(CheckErrors("rule a { pattern begin s not_followed_by t }"),
              ElementsAre("a pattern ending in 'not_followed_by' needs 'within': it fires when "
                          "the window expires"));
  EXPECT_THAT(CheckErrors("rule a { pattern begin s next o optional not_next n next t "
                          "within 1m }"),
              ElementsAre("a negation cannot directly follow the optional stage 'o'"));
  EXPECT_THAT(CheckErrors("rule a { pattern begin s next s within 1m skip to_first x }"),
              ElementsAre("stage 's' is defined twice in this pattern",
                          "'skip' names 'x', which is no positive stage of the pattern"));
  EXPECT_THAT(CheckErrors("rule a { where count() > 1 pattern begin s within 1m }"),
              ElementsAre("count() is an aggregate: aggregates stand in a window's 'when' and "
                          "in pattern conditions and emit"));
  EXPECT_THAT(CheckErrors("rule a { pattern begin s greedy within 0ms }"),
              ElementsAre("greedy, consecutive and allow_combinations apply to looping stages "
                          "only ('s' takes one event)",
                          "the duration of 'within' must be positive"));
  EXPECT_THAT(CheckErrors("rule a { pattern begin s next o times 0..2 not_followed_by n "
                          "next t within 1m }"),
              ElementsAre("a negation cannot directly follow the optional stage 'o'"));
  EXPECT_THAT(CheckErrors("rule a { pattern begin s times 3..2 within 1m }"),
              ElementsAre("in 'times N..M' N cannot exceed M"));
}

TEST(CheckerTest, WindowsAndRuleItems) {
  EXPECT_THAT(CheckErrors("rule a { window sliding 1m every 5m when count(where amount > 1) > 2 "
                          "and sum(amount where country != \"US\") > 5 }"),
              ElementsAre("a sliding window's hop ('every') cannot exceed its length"));
  EXPECT_THAT(CheckErrors("rule a { window tumbling 1h when amount > 5 }"),
              ElementsAre("'amount' has no current event here: this window's condition reads "
                          "aggregates such as sum(amount)"));
  EXPECT_THAT(CheckErrors("rule a { window last 1h when sum(merchant) > 5 }"),
              ElementsAre("sum() needs a number, got string"));
  EXPECT_THAT(CheckErrors("rule a { key nope where kind == \"x\" }"),
              ElementsAre("rule 'a' needs a pattern or a window (for a single-event rule write "
                          "'pattern begin e where ...')",
                          "unknown field 'nope'"));
  EXPECT_THAT(CheckErrors("rule a { window last 1m when count() > 1 on timeout emit }\n"
                          "rule a { window last 1m when count() > 1 emit { x: 1, x: 2 } }"),
              ElementsAre("'on timeout emit' needs a pattern with 'within'",
                          "rule 'a' is defined twice", "'x' is emitted twice"));
  EXPECT_THAT(CheckErrors("schema { user: string, user: int }\n"
                          "const C = 1\nconst C = 2\n"
                          "rule a { window last 1m when count() > C and attrs.x == \"y\" }"),
              ElementsAre("field 'user' is declared twice", "constant 'C' is defined twice",
                          "a declared schema has no attrs; declare 'x' as a field"));
}

}  // namespace
}  // namespace rules
