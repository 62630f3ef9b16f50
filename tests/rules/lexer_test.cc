#include "rules/internal/lexer.h"

#include <gtest/gtest.h>

namespace rules::internal {
namespace {

std::vector<Token> LexOk(std::string_view text) {
  std::vector<Diagnostic> diagnostics;
  LexOutput out = Lex(text, 1000, diagnostics);
  EXPECT_TRUE(diagnostics.empty()) << diagnostics.front().message;
  return std::move(out.tokens);
}

std::string LexError(std::string_view text) {
  std::vector<Diagnostic> diagnostics;
  (void)Lex(text, 1000, diagnostics);
  return diagnostics.empty() ? "" : diagnostics.front().message;
}

TEST(LexerTest, NumbersDecimalsDurationsAndRanges) {
  auto tokens = LexOk("42 12.50 250ms 10s 5m 2h 7d 1..5");
  ASSERT_EQ(tokens.size(), 11u);
  EXPECT_EQ(tokens[0].kind, TokenKind::kInt);
  EXPECT_EQ(tokens[0].int_value, 42);
  EXPECT_EQ(tokens[1].kind, TokenKind::kDecimal);
  EXPECT_EQ(tokens[1].int_value, 12'500'000);
  EXPECT_EQ(tokens[2].kind, TokenKind::kDuration);
  EXPECT_EQ(tokens[2].int_value, 250);
  EXPECT_EQ(tokens[4].int_value, 5 * 60'000);
  EXPECT_EQ(tokens[6].int_value, 7 * 86'400'000);
  EXPECT_EQ(tokens[7].kind, TokenKind::kInt);
  EXPECT_EQ(tokens[8].kind, TokenKind::kDotDot);
  EXPECT_EQ(tokens[9].int_value, 5);
}

TEST(LexerTest, StringEscapes) {
  auto tokens = LexOk(R"("a \"b\" \\ c")");
  ASSERT_EQ(tokens[0].kind, TokenKind::kString);
  EXPECT_EQ(tokens[0].str, R"(a "b" \ c)");
}

TEST(LexerTest, SlashIsRegexWhereAnOperandIsExpectedAndDivisionAfterOne) {
  auto tokens = LexOk("a / 2 ~ /x\\/y/is and /z/ (b) / c");
  EXPECT_EQ(tokens[1].kind, TokenKind::kSlash);
  EXPECT_EQ(tokens[4].kind, TokenKind::kRegex);
  EXPECT_EQ(tokens[4].str, "x\\/y");
  EXPECT_EQ(tokens[4].flags, "is");
  EXPECT_EQ(tokens[6].kind, TokenKind::kRegex);
  EXPECT_EQ(tokens[10].kind, TokenKind::kSlash);
}

TEST(LexerTest, CommentsRunToTheEndOfTheLineAndSpansCountLines) {
  auto tokens = LexOk("a # comment / \"\n  bb");
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[1].text, "bb");
  EXPECT_EQ(tokens[1].span.line, 2u);
  EXPECT_EQ(tokens[1].span.col, 3u);
  EXPECT_EQ(tokens[1].span.offset, 18u);
  EXPECT_EQ(tokens[1].span.length, 2u);
}

TEST(LexerTest, MalformedTokensSayWhatWasExpected) {
  EXPECT_EQ(LexError("10min"), "unknown unit 'min' in '10min': expected ms, s, m, h or d");
  EXPECT_EQ(LexError("1.5s"),
            "'1.5s' is not a number: a duration is a whole number with a unit such as 90s");
  EXPECT_EQ(LexError("\"abc"), "unterminated string: expected '\"' before the end of the line");
  EXPECT_EQ(LexError(R"("a\n")"),
            R"(unknown escape '\n' in a string: only \" and \\ are escapes)");
  EXPECT_EQ(LexError("~ /abc/x"),
            "unknown regex flag 'x': expected i (caseless), s (dot matches newline) or m");
  EXPECT_EQ(LexError("~ /abc/ii"), "regex flag 'i' is given twice");
  EXPECT_EQ(LexError("~ /abc"), "unterminated regex: expected '/' before the end of the line");
  EXPECT_EQ(LexError("99999999999999999999"), "integer '99999999999999999999' is out of range");
  EXPECT_EQ(LexError("9223372036854775807ms"), "duration '9223372036854775807ms' is out of range");
  EXPECT_EQ(LexError("a ! b"), "unexpected '!': write '!=', '!~' or 'not'");
  EXPECT_EQ(LexError("a $ b"), "unexpected character '$'");
  EXPECT_EQ(LexError(std::string_view("a \x01", 3)), "unexpected byte 0x01");
}

TEST(LexerTest, TokenCapStopsTheLexer) {
  std::vector<Diagnostic> diagnostics;
  LexOutput out = Lex("a b c d e", 3, diagnostics);
  EXPECT_TRUE(out.truncated);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].message, "the rule text has more than 3 tokens, the limit");
}

}  // namespace
}  // namespace rules::internal
