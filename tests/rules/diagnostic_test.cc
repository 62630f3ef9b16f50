#include "rules/diagnostic.h"

#include <gtest/gtest.h>

#include "rules/parser.h"

namespace rules {
namespace {

TEST(DiagnosticTest, FormatsFileLineColumnSourceLineAndCaret) {
  const std::string source = "rule r {\n  pattern begin a\n    within 10\n}\n";
  auto parsed = Parse("ruleset x version 1\n" + source);
  ASSERT_FALSE(parsed.ok());
  ASSERT_EQ(parsed.error().size(), 1u);
  EXPECT_EQ(FormatDiagnostic("card.rules", "ruleset x version 1\n" + source, parsed.error()[0]),
            "card.rules:4:12: expected a duration such as 10m after 'within', got '10'\n"
            "    within 10\n"
            "           ^~\n");
}

TEST(DiagnosticTest, TabsInTheLineKeepTheCaretAligned) {
  Diagnostic d{SourceSpan{1, 3, 2, 3}, "bad"};
  EXPECT_EQ(FormatDiagnostic("f", "\t\tabc", d), "f:1:3: bad\n\t\tabc\n\t\t^~~\n");
}

TEST(DiagnosticTest, SpanAtTheEndAndPastTheTextStillFormat) {
  EXPECT_EQ(FormatDiagnostic("f", "ab", Diagnostic{SourceSpan{1, 3, 2, 0}, "end"}),
            "f:1:3: end\nab\n  ^\n");
  EXPECT_EQ(FormatDiagnostic("f", "ab", Diagnostic{SourceSpan{9, 9, 99, 1}, "gone"}),
            "f:9:9: gone\n");
}

TEST(DiagnosticTest, FormatsEveryDiagnostic) {
  std::vector<Diagnostic> all = {{SourceSpan{1, 1, 0, 1}, "one"}, {SourceSpan{2, 1, 3, 1}, "two"}};
  EXPECT_EQ(FormatDiagnostics("f", "ab\ncd", all), "f:1:1: one\nab\n^\nf:2:1: two\ncd\n^\n");
}

}  // namespace
}  // namespace rules
