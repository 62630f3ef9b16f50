#include "rules/printer.h"

#include <gtest/gtest.h>

#include "rules/parser.h"

namespace rules {
namespace {

std::string Canonical(std::string_view text) {
  auto parsed = Parse(text);
  if (!parsed.ok()) return FormatDiagnostics("test.rules", text, parsed.error());
  return PrintRuleset(*parsed);
}

TEST(PrinterTest, PrintsCanonicalText) {
  EXPECT_EQ(Canonical(R"(ruleset card_fraud version 3   # header
const HIGH = [7995, 6051,]
rule r { emit { t: sum(small.amount), }  skip skip_past_last_event
  key account_id severity high
  pattern begin small where amount < 5.00 times 3 consecutive
          next large where (amount > 500) and mcc in HIGH within 600s
  window last 30m when count(where amount > 100) >= 5 suppress 15m late accept 90000ms }
)"),
            R"(ruleset card_fraud version 3

const HIGH = [7995, 6051]

rule r {
  key account_id
  severity high
  pattern
    begin small times 3 consecutive where amount < 5.0
    next large where amount > 500 and mcc in HIGH
    within 10m
  window last 30m
  when count(where amount > 100) >= 5
  skip past_last_event
  emit { t: sum(small.amount) }
  suppress 15m
  late accept 90s
}
)");
}

TEST(PrinterTest, AddsOnlyTheParenthesesPrecedenceNeeds) {
  auto print = [](std::string_view text) {
    auto parsed = ParseExpression(text);
    return parsed.ok() ? PrintExpr(**parsed) : parsed.error().front().message;
  };
  EXPECT_EQ(print("((a + b)) * (c)"), "(a + b) * c");
  EXPECT_EQ(print("a - (b - c)"), "a - (b - c)");
  EXPECT_EQ(print("(a - b) - c"), "a - b - c");
  EXPECT_EQ(print("a or (b or c)"), "a or (b or c)");
  EXPECT_EQ(print("not (a and b)"), "not (a and b)");
  EXPECT_EQ(print("(a < b) == c"), "(a < b) == c");
  EXPECT_EQ(print("-(a + b)"), "-(a + b)");
  EXPECT_EQ(print("- - a"), "--a");
  EXPECT_EQ(print("(a is null) == false"), "(a is null) == false");
  EXPECT_EQ(print("x / 2 ~ /a\\/b/i"), "x / 2 ~ /a\\/b/i");
  EXPECT_EQ(print("\"q\\\"\\\\\""), "\"q\\\"\\\\\"");
  EXPECT_EQ(print("5.000 + 0.25 + 1500ms + 120m + 86400s"), "5.0 + 0.25 + 1500ms + 2h + 1d");
}

}  // namespace
}  // namespace rules
