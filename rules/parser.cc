#include "rules/parser.h"

#include <algorithm>
#include <array>

#include "rules/internal/parser_impl.h"

namespace rules {
namespace internal {
namespace {

constexpr std::array<std::string_view, 13> kRuleItemWords = {
    "key", "severity", "where", "pattern", "window", "when", "within", "skip",
    "emit", "on", "suppress", "mode", "late"};
constexpr std::array<std::string_view, 6> kStageWords = {
    "begin", "next", "followed_by", "followed_by_any", "not_next", "not_followed_by"};
constexpr std::array<std::string_view, 4> kTopLevelWords = {"ruleset", "schema", "const",
                                                            "rule"};
// Reserved besides the words above: operators, literals, quantifiers.
constexpr std::array<std::string_view, 18> kOtherReserved = {
    "version", "unbounded", "and", "or", "not", "in", "is", "null", "true", "false",
    "until", "optional", "times", "one_or_more", "times_or_more", "greedy", "consecutive",
    "allow_combinations"};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

}  // namespace

bool IsRuleItemWord(std::string_view word) {
  return Contains(kRuleItemWords, word) || word == "unbounded";
}
bool IsStageWord(std::string_view word) { return Contains(kStageWords, word); }
bool IsTopLevelWord(std::string_view word) { return Contains(kTopLevelWords, word); }

DepthGuard::DepthGuard(Parser& parser) : parser_(parser), ok_(true) {
  ++parser_.nesting_;
  if (parser_.nesting_ > parser_.limits_.max_nesting) {
    ok_ = false;
    // Report only at the level that crossed the cap, not at every deeper one.
    if (parser_.nesting_ == parser_.limits_.max_nesting + 1) {
      parser_.Error(parser_.Peek().span, "expression is nested more than " +
                                             std::to_string(parser_.limits_.max_nesting) +
                                             " levels deep");
    }
  }
}

Parser::Parser(std::vector<Token> tokens, const ParseLimits& limits,
               std::vector<Diagnostic>& diagnostics)
    : tokens_(std::move(tokens)), limits_(limits), diagnostics_(diagnostics) {
  CHECK(!tokens_.empty() && tokens_.back().kind == TokenKind::kEof, "tokens end with kEof");
}

const Token& Parser::Peek(size_t ahead) const {
  if (stopped_) return tokens_.back();
  return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
}

const Token& Parser::Advance() {
  const Token& token = Peek();
  if (!stopped_ && pos_ + 1 < tokens_.size()) ++pos_;
  return token;
}

bool Parser::AtWord(std::string_view word) const {
  return Peek().kind == TokenKind::kIdent && Peek().text == word;
}

bool Parser::AcceptWord(std::string_view word) {
  if (!AtWord(word)) return false;
  Advance();
  return true;
}

bool Parser::Accept(TokenKind kind) {
  if (!At(kind)) return false;
  Advance();
  return true;
}

void Parser::Error(const SourceSpan& span, std::string message) {
  if (stopped_) return;
  if (diagnostics_.size() >= limits_.max_diagnostics) {
    diagnostics_.push_back({span, "too many errors; stopping after " +
                                      std::to_string(limits_.max_diagnostics)});
    stopped_ = true;
    return;
  }
  diagnostics_.push_back({span, std::move(message)});
}

void Parser::ExpectedError(std::string_view what) {
  const Token& token = Peek();
  if (token.kind == TokenKind::kError) return;  // the lexer said why
  Error(token.span, "expected " + std::string(what) + ", got " + Describe(token));
}

bool Parser::Expect(TokenKind kind, std::string_view what) {
  if (Accept(kind)) return true;
  ExpectedError(what);
  return false;
}

std::optional<Ident> Parser::ExpectName(std::string_view what) {
  const Token& token = Peek();
  if (token.kind != TokenKind::kIdent) {
    ExpectedError(what);
    return std::nullopt;
  }
  if (IsReservedWord(token.text)) {
    Error(token.span, "expected " + std::string(what) + ", got the keyword '" +
                          std::string(token.text) + "' (keywords cannot be names)");
    Advance();  // consumed, or recovery would read it as the item it names
    return std::nullopt;
  }
  Advance();
  return Ident{std::string(token.text), token.span};
}

std::optional<DurationLit> Parser::ExpectDuration(std::string_view after) {
  const Token& token = Peek();
  if (token.kind != TokenKind::kDuration) {
    ExpectedError("a duration such as 10m after '" + std::string(after) + "'");
    return std::nullopt;
  }
  Advance();
  return DurationLit{cep::Duration::Millis(token.int_value), token.span};
}

std::optional<int64_t> Parser::ExpectInt(std::string_view what) {
  const Token& token = Peek();
  if (token.kind != TokenKind::kInt) {
    ExpectedError(what);
    return std::nullopt;
  }
  Advance();
  return token.int_value;
}

void Parser::SyncTo(const std::function<bool(const Token&)>& stop) {
  size_t depth = 0;
  while (!At(TokenKind::kEof)) {
    const Token& token = Peek();
    if (depth == 0 && stop(token)) return;
    switch (token.kind) {
      case TokenKind::kLParen: case TokenKind::kLBracket: case TokenKind::kLBrace:
        ++depth;
        break;
      case TokenKind::kRParen: case TokenKind::kRBracket: case TokenKind::kRBrace:
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
    Advance();
  }
}

// ---------------------------------------------------------------- top level

Ruleset Parser::ParseRuleset() {
  Ruleset ruleset;
  ParseHeader(ruleset);
  auto at_top_level = [](const Token& t) {
    return t.kind == TokenKind::kIdent && IsTopLevelWord(t.text);
  };
  while (!At(TokenKind::kEof)) {
    if (AtWord("rule")) {
      ParseRule(ruleset);
    } else if (AtWord("const")) {
      ParseConst(ruleset);
    } else if (AtWord("schema")) {
      ParseSchema(ruleset);
    } else if (AtWord("ruleset")) {
      Error(Peek().span, "a rule text has one 'ruleset' line, at the start");
      Advance();
      SyncTo(at_top_level);
    } else {
      ExpectedError("'rule', 'const' or 'schema'");
      Advance();
      SyncTo(at_top_level);
    }
  }
  return ruleset;
}

void Parser::ParseHeader(Ruleset& ruleset) {
  ruleset.span = Peek().span;
  if (!AcceptWord("ruleset")) {
    ExpectedError("'ruleset NAME version N' at the start of the rule text");
    return;
  }
  auto name = ExpectName("the ruleset's name after 'ruleset'");
  if (!name) return;
  ruleset.name = *name;
  if (!AcceptWord("version")) {
    ExpectedError("'version N' after the ruleset's name");
    return;
  }
  if (auto version = ExpectInt("a version number after 'version'")) ruleset.version = *version;
}

void Parser::ParseSchema(Ruleset& ruleset) {
  const Token& keyword = Advance();
  SchemaDecl schema;
  schema.span = keyword.span;
  if (ruleset.schema) Error(keyword.span, "the schema is declared twice");
  auto at_top_level = [](const Token& t) {
    return t.kind == TokenKind::kIdent && IsTopLevelWord(t.text);
  };
  if (AcceptWord("transaction")) {
    if (!ruleset.schema) ruleset.schema = std::move(schema);
    return;
  }
  if (!Expect(TokenKind::kLBrace, "'transaction' or '{' after 'schema'")) {
    SyncTo(at_top_level);
    return;
  }
  schema.builtin_transaction = false;
  while (!At(TokenKind::kRBrace) && !At(TokenKind::kEof) && !stopped()) {
    auto field = ParseFieldDecl();
    if (field) schema.fields.push_back(std::move(*field));
    if (!field) {
      SyncTo([](const Token& t) {
        return t.kind == TokenKind::kComma || t.kind == TokenKind::kRBrace ||
               (t.kind == TokenKind::kIdent && IsTopLevelWord(t.text));
      });
      if (At(TokenKind::kIdent)) return;  // a top-level word: the '}' is missing
    }
    if (!Accept(TokenKind::kComma)) break;
  }
  if (!Expect(TokenKind::kRBrace, "',' or '}' in the schema")) SyncTo(at_top_level);
  if (!ruleset.schema) ruleset.schema = std::move(schema);
}

std::optional<FieldDecl> Parser::ParseFieldDecl() {
  auto name = ExpectName("a field name");
  if (!name) return std::nullopt;
  if (!Expect(TokenKind::kColon, "':' after the field name")) return std::nullopt;
  const Token& type_token = Peek();
  static constexpr cep::Type kTypes[] = {cep::Type::kInt,    cep::Type::kFloat,
                                         cep::Type::kDecimal, cep::Type::kString,
                                         cep::Type::kBool,   cep::Type::kTime,
                                         cep::Type::kDuration};
  if (type_token.kind == TokenKind::kIdent) {
    for (cep::Type type : kTypes) {
      if (type_token.text == TypeKeyword(type)) {
        Advance();
        return FieldDecl{std::move(*name), type, type_token.span};
      }
    }
  }
  ExpectedError("a type (int, float, decimal, string, bool, time or duration)");
  return std::nullopt;
}

void Parser::ParseConst(Ruleset& ruleset) {
  ConstDecl decl;
  decl.span = Advance().span;
  auto name = ExpectName("the constant's name after 'const'");
  bool ok = name.has_value() && Expect(TokenKind::kAssign, "'=' after the constant's name");
  if (ok) decl.value = ParseConstValue();
  if (!ok || decl.value == nullptr) {
    SyncTo([](const Token& t) { return t.kind == TokenKind::kIdent && IsTopLevelWord(t.text); });
    return;
  }
  decl.name = std::move(*name);
  ruleset.consts.push_back(std::move(decl));
}

// A literal, a negated number, or a list of those: a const's value.
ExprPtr Parser::ParseConstValue() {
  if (At(TokenKind::kLBracket)) {
    const Token& open = Advance();
    auto list = std::make_unique<Expr>();
    list->kind = ExprKind::kList;
    while (!At(TokenKind::kRBracket)) {
      if (At(TokenKind::kLBracket)) {  // checked before recursing: no deep nesting
        Error(Peek().span, "a constant list holds literals, not lists");
        return nullptr;
      }
      ExprPtr element = ParseConstValue();
      if (element == nullptr) return nullptr;
      list->height = std::max(list->height, element->height + 1);
      list->args.push_back(std::move(element));
      if (!Accept(TokenKind::kComma)) break;
    }
    const SourceSpan close = Peek().span;
    if (!Expect(TokenKind::kRBracket, "',' or ']' in the list")) return nullptr;
    list->span = Cover(open.span, close);
    return list;
  }
  if (At(TokenKind::kMinus) &&
      (Peek(1).kind == TokenKind::kInt || Peek(1).kind == TokenKind::kDecimal ||
       Peek(1).kind == TokenKind::kDuration)) {
    const SourceSpan minus = Advance().span;
    return MakeUnary(UnaryOp::kNeg, ParseLiteral(), minus);
  }
  ExprPtr literal = ParseLiteral();
  if (literal == nullptr) ExpectedError("a literal or a list such as [1, 2] for the constant");
  return literal;
}

}  // namespace internal

bool IsReservedWord(std::string_view word) {
  return internal::IsRuleItemWord(word) || internal::IsStageWord(word) ||
         internal::IsTopLevelWord(word) || internal::Contains(internal::kOtherReserved, word);
}

namespace {

// Lexes `text` within the limits; nullopt (with diagnostics) if a cap is hit.
std::optional<std::vector<internal::Token>> LexWithinLimits(std::string_view text,
                                                            const ParseLimits& limits,
                                                            std::vector<Diagnostic>& diagnostics) {
  if (text.size() > limits.max_input_bytes) {
    diagnostics.push_back({SourceSpan{}, "the rule text is " + std::to_string(text.size()) +
                                             " bytes; the limit is " +
                                             std::to_string(limits.max_input_bytes)});
    return std::nullopt;
  }
  internal::LexOutput lexed = internal::Lex(text, limits.max_tokens, diagnostics);
  if (lexed.truncated) return std::nullopt;
  return std::move(lexed.tokens);
}

void SortByPosition(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return a.span.offset < b.span.offset;
                   });
}

}  // namespace

cep::Result<Ruleset, std::vector<Diagnostic>> Parse(std::string_view text,
                                                    const ParseLimits& limits) {
  std::vector<Diagnostic> diagnostics;
  auto tokens = LexWithinLimits(text, limits, diagnostics);
  if (!tokens) return cep::Unexpected(std::move(diagnostics));
  internal::Parser parser(std::move(*tokens), limits, diagnostics);
  Ruleset ruleset = parser.ParseRuleset();
  if (!diagnostics.empty()) {
    SortByPosition(diagnostics);
    return cep::Unexpected(std::move(diagnostics));
  }
  return ruleset;
}

cep::Result<ExprPtr, std::vector<Diagnostic>> ParseExpression(std::string_view text,
                                                              const ParseLimits& limits) {
  std::vector<Diagnostic> diagnostics;
  auto tokens = LexWithinLimits(text, limits, diagnostics);
  if (!tokens) return cep::Unexpected(std::move(diagnostics));
  internal::Parser parser(std::move(*tokens), limits, diagnostics);
  ExprPtr expr = parser.ParseStandaloneExpr();
  if (!diagnostics.empty() || expr == nullptr) {
    if (diagnostics.empty()) diagnostics.push_back({SourceSpan{}, "expected an expression"});
    SortByPosition(diagnostics);
    return cep::Unexpected(std::move(diagnostics));
  }
  return expr;
}

}  // namespace rules
