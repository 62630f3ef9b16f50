// Errors: what the author is told, that all of them are reported, and the caps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rules/parser.h"
#include "tests/rules/test_util.h"

namespace rules {
namespace {

using ::testing::ElementsAre;
using testing::Messages;

std::vector<std::string> Errors(std::string_view text, const ParseLimits& limits = {}) {
  auto parsed = Parse(text, limits);
  if (parsed.ok()) return {"parsed"};
  return Messages(parsed.error());
}

TEST(ParserErrorTest, SaysWhatWasExpected) {
  EXPECT_THAT(Errors("ruleset r version 1 rule a { pattern begin x within 10 }"),
              ElementsAre("1:53: expected a duration such as 10m after 'within', got '10'"));
  EXPECT_THAT(Errors("rule a { }"),
              ElementsAre("1:1: expected 'ruleset NAME version N' at the start of the rule "
                          "text, got 'rule'"));
  EXPECT_THAT(Errors("ruleset r version 1 rule a { severity urgent }"),
              ElementsAre("1:39: expected low, medium, high or critical after 'severity', got "
                          "'urgent'"));
  EXPECT_THAT(Errors("ruleset r version 1 rule a { window last 5m }"),
              ElementsAre("1:45: expected 'when' and the window's condition, as in 'when "
                          "count() >= 5', got '}'"));
  EXPECT_THAT(Errors("ruleset r version 1 rule a { pattern next x }"),
              ElementsAre("1:38: a pattern starts with 'begin STAGE', got 'next'"));
  EXPECT_THAT(Errors("ruleset r version 1 rule a { pattern begin window }"),
              ElementsAre("1:44: expected the stage's name after 'begin', got the keyword "
                          "'window' (keywords cannot be names)"));
  EXPECT_THAT(Errors("ruleset r version 1 rule a { where a < b < c }"),
              ElementsAre("1:42: comparisons do not chain: use 'and' or parentheses, got '<'"));
  EXPECT_THAT(Errors("ruleset r version 1 rule a { within 5m }"),
              ElementsAre("1:30: 'within' belongs to a pattern: write it after the pattern's "
                          "stages"));
  EXPECT_THAT(Errors("ruleset r version 1 rule a { severity low severity high }"),
              ElementsAre("1:43: 'severity' is given twice in this rule"));
  EXPECT_THAT(Errors("ruleset r version 1 rule a { where x.y.z }"),
              ElementsAre("1:39: a name has at most one '.': stage.field or attrs.NAME"));
  EXPECT_THAT(Errors("ruleset r version 1 rule a { skip to_somewhere }"),
              ElementsAre("1:35: expected no_skip, skip_to_next, skip_past_last_event, "
                          "skip_to_first STAGE or skip_to_last STAGE after 'skip', got "
                          "'to_somewhere'"));
}

TEST(ParserErrorTest, ReportsEveryErrorAndRecoversAtTheNextItemOrRule) {
  const std::string text = R"(ruleset r version 1
rule a {
  severity urgent
  pattern
    begin x where amount >
    next y times
    within 10
  suppress 5m
}
rule b {
  where (a or
  mode sometimes
}
const C = foo
rule c { key account_id }
)";
  EXPECT_THAT(Errors(text),
              ElementsAre("3:12: expected low, medium, high or critical after 'severity', got "
                          "'urgent'",
                          "6:5: expected an expression (a field, literal, call or '('), got "
                          "'next'",
                          "7:5: expected a count such as 3 after 'times', got 'within'",
                          "7:12: expected a duration such as 10m after 'within', got '10'",
                          "12:3: expected an expression (a field, literal, call or '('), got "
                          "'mode'",
                          "12:8: expected 'live' or 'shadow' after 'mode', got 'sometimes'",
                          "14:11: expected a literal or a list such as [1, 2] for the constant, "
                          "got 'foo'"));
}

TEST(ParserErrorTest, LexerErrorsAreReportedOnceAndParsingGoesOn) {
  EXPECT_THAT(Errors("ruleset r version 1 rule a { suppress 10min severity high }\n"
                     "rule b { where x == \"open }"),
              ElementsAre("1:39: unknown unit 'min' in '10min': expected ms, s, m, h or d",
                          "2:21: unterminated string: expected '\"' before the end of the line",
                          // True: the string swallowed the '}'.
                          "2:28: expected '}' to close rule 'b', got end of input"));
}

TEST(ParserErrorTest, InputSizeCap) {
  std::string big = "ruleset r version 1\n";
  big.resize((size_t{1} << 20) + 1, ' ');
  EXPECT_THAT(Errors(big), ElementsAre("1:1: the rule text is 1048577 bytes; the limit is 1048576"));
}

TEST(ParserErrorTest, NestingCapIsADiagnosticNotAStackOverflow) {
  const std::string deep = std::string(100'000, '(') + "a" + std::string(100'000, ')');
  auto errors = Errors("ruleset r version 1 rule a { where " + deep + " }");
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0], "1:100: expression is nested more than 64 levels deep");
  std::string minus(200'000, '-');
  EXPECT_EQ(Errors("ruleset r version 1 rule a { where " + minus + "a }")[0],
            "1:100: expression is nested more than 64 levels deep");
  std::string nots;
  for (int i = 0; i < 10'000; ++i) nots += "not ";
  EXPECT_EQ(Errors("ruleset r version 1 rule a { where " + nots + "a }")[0],
            "1:292: expression is nested more than 64 levels deep");
  EXPECT_EQ(Errors("ruleset r version 1 rule a { where " + std::string(50'000, '[') + " }")[0],
            "1:100: expression is nested more than 64 levels deep");
  EXPECT_EQ(Errors("ruleset r version 1 const L = [[[[1]]]]")[0],
            "1:32: a constant list holds literals, not lists");
}

TEST(ParserErrorTest, LongOperatorChainsHitTheHeightCap) {
  std::string chain = "a";
  for (int i = 0; i < 100'000; ++i) chain += " + a";
  auto errors = Errors("ruleset r version 1 rule a { where " + chain + " }");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "1:36: expression is too deep: more than 256 nested operations; split it or use a "
            "list with 'in'");
  std::string ok = "a";
  for (int i = 0; i < 200; ++i) ok += " or a";
  EXPECT_THAT(Errors("ruleset r version 1 rule a { where " + ok + " }"), ElementsAre("parsed"));
}

TEST(ParserErrorTest, TokenRuleAndErrorCaps) {
  ParseLimits limits;
  limits.max_tokens = 9;
  EXPECT_THAT(Errors("ruleset r version 1 rule a { severity low }", limits),
              ElementsAre("1:43: the rule text has more than 9 tokens, the limit"));
  limits = {};
  limits.max_rules = 2;
  EXPECT_THAT(Errors("ruleset r version 1 rule a {} rule b {} rule c {} rule d {}", limits),
              ElementsAre("1:41: a ruleset has at most 2 rules"));
  limits = {};
  limits.max_diagnostics = 3;
  auto errors =
      Errors("ruleset r version 1 rule a { severity x } rule b { severity x } rule c { severity "
             "x } rule d { severity x } rule e { severity x }",
             limits);
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[3], "1:105: too many errors; stopping after 3");
}

}  // namespace
}  // namespace rules
