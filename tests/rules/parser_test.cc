#include "rules/parser.h"

#include <gtest/gtest.h>

#include "rules/printer.h"
#include "tests/rules/test_util.h"

namespace rules {
namespace {

using testing::Sexpr;

Ruleset ParseOk(std::string_view text) {
  auto parsed = Parse(text);
  if (!parsed.ok()) {
    ADD_FAILURE() << FormatDiagnostics("test.rules", text, parsed.error());
    return {};
  }
  return std::move(*parsed);
}

std::string ExprTree(std::string_view text) {
  auto parsed = ParseExpression(text);
  if (!parsed.ok()) return "error: " + parsed.error().front().message;
  return Sexpr(**parsed);
}

TEST(ParserTest, ParsesTheDslMdExample) {
  std::string text;
  for (const auto& [name, contents] : testing::CorpusFiles()) {
    if (name == "dsl_md_card_fraud.rules") text = contents;
  }
  ASSERT_FALSE(text.empty());
  Ruleset ruleset = ParseOk(text);
  EXPECT_EQ(ruleset.name.name, "card_fraud");
  EXPECT_EQ(ruleset.version, 3);
  ASSERT_TRUE(ruleset.schema.has_value());
  EXPECT_TRUE(ruleset.schema->builtin_transaction);
  ASSERT_EQ(ruleset.consts.size(), 1u);
  EXPECT_EQ(PrintExpr(*ruleset.consts[0].value), "[7995, 6051, 4829]");
  ASSERT_EQ(ruleset.rules.size(), 4u);

  const Rule& card = ruleset.rules[0];
  EXPECT_EQ(card.name.name, "card_testing_then_large");
  EXPECT_EQ(card.severity, Severity::kHigh);
  ASSERT_TRUE(card.pattern.has_value());
  ASSERT_EQ(card.pattern->stages.size(), 2u);
  const PatternStage& small = card.pattern->stages[0];
  EXPECT_EQ(small.op, StageOp::kBegin);
  EXPECT_EQ(small.name.name, "small");
  EXPECT_EQ(small.quantifier.count, StageQuantifier::Count::kTimes);
  EXPECT_EQ(small.quantifier.min, 3);
  EXPECT_TRUE(small.quantifier.consecutive);
  EXPECT_EQ(PrintExpr(*small.where), "amount < 5.0");
  EXPECT_EQ(card.pattern->stages[1].op, StageOp::kNext);
  EXPECT_EQ(card.pattern->within->value, cep::Duration::Minutes(10));
  EXPECT_EQ(card.skip->kind, SkipKind::kSkipPastLastEvent);
  ASSERT_EQ(card.emit->size(), 2u);
  EXPECT_EQ(PrintExpr(*(*card.emit)[0].value), "sum(small.amount)");

  const Rule& velocity = ruleset.rules[1];
  EXPECT_EQ(velocity.window->kind, WindowKind::kLast);
  EXPECT_EQ(velocity.window->size.value, cep::Duration::Minutes(30));
  EXPECT_EQ(PrintExpr(*velocity.window->when), "count() >= 5 and sum(amount) > 2000");
  EXPECT_EQ(velocity.suppress->value, cep::Duration::Minutes(15));

  EXPECT_EQ(PrintExpr(*ruleset.rules[2].pattern->stages[1].where),
            "merchant ~ /casino|poker|bet(ting)?/i");
  EXPECT_EQ(ruleset.rules[3].pattern->stages[1].op, StageOp::kNotFollowedBy);
}

TEST(ParserTest, EveryNodeHasASourceSpan) {
  Ruleset ruleset = ParseOk("ruleset r version 1\nrule a {\n  where amount  >  10\n}\n");
  const Expr& where = *ruleset.rules[0].where;
  EXPECT_EQ(where.span, (SourceSpan{3, 9, 37, 13}));
  EXPECT_EQ(where.args[0]->span, (SourceSpan{3, 9, 37, 6}));
  EXPECT_EQ(where.args[1]->span, (SourceSpan{3, 20, 48, 2}));
  EXPECT_EQ(ruleset.rules[0].name.span, (SourceSpan{2, 6, 25, 1}));
}

TEST(ParserTest, PrecedenceFollowsDslMd) {
  EXPECT_EQ(ExprTree("a or b and c"), "(a or (b and c))");
  EXPECT_EQ(ExprTree("not a == b and c"), "((not (a == b)) and c)");
  EXPECT_EQ(ExprTree("a + b * c == d - e % f"), "((a + (b * c)) == (d - (e % f)))");
  EXPECT_EQ(ExprTree("-a * b"), "((-a) * b)");
  EXPECT_EQ(ExprTree("a - b - c"), "((a - b) - c)");
  EXPECT_EQ(ExprTree("a / b / c"), "((a / b) / c)");
  EXPECT_EQ(ExprTree("(a or b) and c"), "((a or b) and c)");
  EXPECT_EQ(ExprTree("x in [1, 2] or y not in L"), "((x in [1, 2]) or (y not in L))");
  EXPECT_EQ(ExprTree("m ~ /a/ and m !~ /b/i"), "((m ~ /a/) and (m !~ /b/i))");
  EXPECT_EQ(ExprTree("a + 1 is null or b is not null"), "(((a + 1) is null) or (b is not null))");
  EXPECT_EQ(ExprTree("not not a"), "(not (not a))");
  EXPECT_EQ(ExprTree("--a"), "(-(-a))");
}

TEST(ParserTest, NamesCallsAndAggregates) {
  EXPECT_EQ(ExprTree("large.amount > 10 * small.amount"),
            "(large.amount > (10 * small.amount))");
  EXPECT_EQ(ExprTree("attrs.browser == \"x\""), "(attrs.browser == \"x\")");
  EXPECT_EQ(ExprTree("count(where amount > 100)"), "count(where amount > 100)");
  EXPECT_EQ(ExprTree("sum(amount where country != \"US\")"), "sum(amount where country != \"US\")");
  EXPECT_EQ(ExprTree("count()"), "count()");
  EXPECT_EQ(ExprTree("geo_km(a.lat, a.lon, b.lat, b.lon)"), "geo_km(a.lat, a.lon, b.lat, b.lon)");
  EXPECT_EQ(ExprTree("last(small.amount) + first(small.ts)"),
            "(last(small.amount) + first(small.ts))");
}

TEST(ParserTest, LiteralsOfEveryKind) {
  EXPECT_EQ(ExprTree("[1, 2.5, \"s\\\"q\", true, false, 250ms, /re/ism]"),
            "[1, 2.5, \"s\\\"q\", true, false, 250ms, /re/ism]");
  auto parsed = ParseExpression("12.50");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)->kind, ExprKind::kDecimal);
  EXPECT_EQ((*parsed)->int_value, 12'500'000);
}

TEST(ParserTest, SkipStrategiesInBothSpellings) {
  const std::pair<std::string, SkipKind> cases[] = {
      {"no_skip", SkipKind::kNoSkip},
      {"skip_to_next", SkipKind::kSkipToNext},
      {"to_next", SkipKind::kSkipToNext},
      {"skip_past_last_event", SkipKind::kSkipPastLastEvent},
      {"past_last_event", SkipKind::kSkipPastLastEvent},
      {"skip_to_first a", SkipKind::kSkipToFirst},
      {"to_first a", SkipKind::kSkipToFirst},
      {"skip_to_last a", SkipKind::kSkipToLast},
      {"to_last a", SkipKind::kSkipToLast},
  };
  for (const auto& [text, kind] : cases) {
    Ruleset ruleset = ParseOk("ruleset r version 1 rule x { pattern begin a within 1m skip " +
                              text + " }");
    ASSERT_EQ(ruleset.rules.size(), 1u) << text;
    EXPECT_EQ(ruleset.rules[0].skip->kind, kind) << text;
    if (kind == SkipKind::kSkipToFirst || kind == SkipKind::kSkipToLast) {
      EXPECT_EQ(ruleset.rules[0].skip->stage.name, "a");
    }
  }
}

TEST(ParserTest, QuantifiersAndStageClausesInAnyOrder) {
  Ruleset ruleset = ParseOk(R"(ruleset r version 1
rule x {
  pattern
    begin a optional times 2..4 greedy where amount > 1 until kind == "x"
    followed_by b where amount > 2 one_or_more allow_combinations
    followed_by_any c times_or_more 3 consecutive
    not_next d
    not_followed_by e
    next f times 0..3
    within 1h
  unbounded
})");
  const auto& stages = ruleset.rules[0].pattern->stages;
  ASSERT_EQ(stages.size(), 6u);
  EXPECT_EQ(stages[0].quantifier.count, StageQuantifier::Count::kTimesRange);
  EXPECT_EQ(stages[0].quantifier.min, 2);
  EXPECT_EQ(stages[0].quantifier.max, 4);
  EXPECT_TRUE(stages[0].quantifier.optional && stages[0].quantifier.greedy);
  ASSERT_NE(stages[0].until, nullptr);
  EXPECT_EQ(stages[1].quantifier.count, StageQuantifier::Count::kOneOrMore);
  EXPECT_TRUE(stages[1].quantifier.allow_combinations);
  EXPECT_EQ(stages[2].op, StageOp::kFollowedByAny);
  EXPECT_EQ(stages[2].quantifier.count, StageQuantifier::Count::kTimesOrMore);
  EXPECT_EQ(stages[2].quantifier.min, 3);
  EXPECT_EQ(stages[3].op, StageOp::kNotNext);
  EXPECT_EQ(stages[4].op, StageOp::kNotFollowedBy);
  EXPECT_EQ(stages[5].quantifier.min, 0);
  EXPECT_TRUE(ruleset.rules[0].unbounded);
}

TEST(ParserTest, EveryRuleItem) {
  Ruleset ruleset = ParseOk(R"(ruleset r version 1
schema { user: string, at: time, n: int, f: float, d: decimal, ok: bool, lag: duration }
const L = [-1, 2]
rule x {
  key user, attrs.device
  severity critical
  where ok
  window sliding 1h every 5m when count() > 1
  emit { a: 1, b: user }
  on timeout emit
  suppress 15m
  mode shadow
  late accept 5m
}
rule y { key none window session gap 30m when count() > 1 late side_output mode live }
rule z { key user window tumbling 1d when count() > 1 late drop severity low }
)");
  ASSERT_EQ(ruleset.rules.size(), 3u);
  EXPECT_FALSE(ruleset.schema->builtin_transaction);
  EXPECT_EQ(ruleset.schema->fields.size(), 7u);
  EXPECT_EQ(ruleset.schema->fields[6].type, cep::Type::kDuration);
  const Rule& x = ruleset.rules[0];
  EXPECT_EQ(x.key->fields.size(), 2u);
  EXPECT_EQ(x.key->fields[1]->qualifier, "attrs");
  EXPECT_EQ(x.window->kind, WindowKind::kSliding);
  EXPECT_EQ(x.window->every->value, cep::Duration::Minutes(5));
  EXPECT_TRUE(x.on_timeout_emit);
  EXPECT_EQ(x.mode, Mode::kShadow);
  EXPECT_EQ(x.late->kind, LatePolicy::Kind::kAccept);
  EXPECT_EQ(x.late->accept.value, cep::Duration::Minutes(5));
  EXPECT_TRUE(ruleset.rules[1].key->none);
  EXPECT_EQ(ruleset.rules[1].window->kind, WindowKind::kSession);
  EXPECT_EQ(ruleset.rules[1].late->kind, LatePolicy::Kind::kSideOutput);
  EXPECT_EQ(ruleset.rules[2].window->kind, WindowKind::kTumbling);
  EXPECT_EQ(ruleset.rules[2].late->kind, LatePolicy::Kind::kDrop);
}

}  // namespace
}  // namespace rules
