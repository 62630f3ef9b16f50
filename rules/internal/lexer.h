#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/diagnostic.h"

// Private to rules/: the tokens of DSL.md "Lexical". Only the parser uses them.
namespace rules::internal {

enum class TokenKind : uint8_t {
  kIdent,     // identifiers and keywords (keywords are told apart by the parser)
  kInt,       // int_value
  kDecimal,   // int_value: micro-units
  kString,    // str: unescaped
  kDuration,  // int_value: milliseconds
  kRegex,     // str: pattern as written; flags
  kLParen, kRParen, kLBracket, kRBracket, kLBrace, kRBrace,
  kComma, kColon, kDot, kDotDot, kAssign,
  kEq, kNe, kLt, kLe, kGt, kGe, kTilde, kNotTilde,
  kPlus, kMinus, kStar, kSlash, kPercent,
  kError,  // a malformed token; the lexer already reported it
  kEof,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string_view text;  // the source bytes of the token
  SourceSpan span;
  int64_t int_value = 0;
  std::string str;
  std::string flags;
};

struct LexOutput {
  std::vector<Token> tokens;  // always ends with kEof
  bool truncated = false;     // max_tokens was reached: the caller must stop
};

// Splits `text` into tokens, appending a diagnostic for every malformed token
// (and producing a kError token in its place, so parsing can go on). A `/`
// starts a regex literal where an operand is expected and is division after an
// operand, which is unambiguous in this grammar.
LexOutput Lex(std::string_view text, size_t max_tokens, std::vector<Diagnostic>& diagnostics);

// How a token reads in a message: 'within', '10', "end of input".
std::string Describe(const Token& token);

}  // namespace rules::internal
