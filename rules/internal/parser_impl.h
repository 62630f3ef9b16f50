#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/ast.h"
#include "rules/internal/lexer.h"
#include "rules/parser.h"

// Private to rules/: the recursive-descent parser behind rules::Parse. Split over
// parser.cc (tokens, errors, top level), parser_rule.cc (rule items, patterns)
// and parser_expr.cc (expressions).
namespace rules::internal {

// One parse of one token stream. Error handling is panic mode: a Parse* function
// that fails has reported why and returns nullopt/null/false; the caller skips
// to a synchronizing token (SyncTo) and goes on, so all errors are reported.
class Parser {
 public:
  Parser(std::vector<Token> tokens, const ParseLimits& limits,
         std::vector<Diagnostic>& diagnostics);

  Ruleset ParseRuleset();
  ExprPtr ParseStandaloneExpr();

 private:
  friend class DepthGuard;

  // ---- tokens (parser.cc)
  const Token& Peek(size_t ahead = 0) const;
  const Token& Advance();
  bool At(TokenKind kind) const { return Peek().kind == kind; }
  bool AtWord(std::string_view word) const;
  bool AcceptWord(std::string_view word);
  bool Accept(TokenKind kind);

  // ---- errors and recovery (parser.cc)
  void Error(const SourceSpan& span, std::string message);
  // "expected WHAT, got 'X'", unless the token is a lexer error (already reported).
  void ExpectedError(std::string_view what);
  bool Expect(TokenKind kind, std::string_view what);
  std::optional<Ident> ExpectName(std::string_view what);
  std::optional<DurationLit> ExpectDuration(std::string_view after);
  std::optional<int64_t> ExpectInt(std::string_view what);
  // Skips tokens, keeping (), [] and {} balanced, until `stop` holds for a token
  // outside any bracket opened while skipping, or the end.
  void SyncTo(const std::function<bool(const Token&)>& stop);
  bool stopped() const { return stopped_; }

  // ---- top level (parser.cc)
  void ParseHeader(Ruleset& ruleset);
  void ParseSchema(Ruleset& ruleset);
  std::optional<FieldDecl> ParseFieldDecl();
  void ParseConst(Ruleset& ruleset);
  ExprPtr ParseConstValue();

  // ---- rules and patterns (parser_rule.cc)
  void ParseRule(Ruleset& ruleset);
  bool ParseRuleItem(Rule& rule);
  bool CheckOnce(bool already_given, const Token& keyword);
  std::optional<KeySpec> ParseKey();
  std::optional<Severity> ParseSeverity();
  std::optional<PatternSpec> ParsePattern();
  bool ParseStage(PatternStage& stage, bool first);
  std::optional<bool> ParseStageClause(PatternStage& stage);
  bool ParseCount(StageQuantifier& quantifier);
  std::optional<WindowSpec> ParseWindow();
  std::optional<SkipSpec> ParseSkip();
  std::optional<std::vector<EmitField>> ParseEmit();
  std::optional<LatePolicy> ParseLate();

  // ---- expressions (parser_expr.cc), lowest precedence first
  ExprPtr ParseExpr();
  ExprPtr ParseOr();
  ExprPtr ParseAnd();
  ExprPtr ParseNot();
  ExprPtr ParseComparison();
  ExprPtr ParseAdditive();
  ExprPtr ParseMultiplicative();
  ExprPtr ParseUnary();
  ExprPtr ParsePrimary();
  ExprPtr ParseLiteral();
  ExprPtr ParseList();
  ExprPtr ParseNameOrCall();
  bool ParseCallArguments(Expr& call);
  ExprPtr MakeBinary(BinaryOp op, ExprPtr left, ExprPtr right);
  ExprPtr MakeUnary(UnaryOp op, ExprPtr operand, const SourceSpan& op_span);
  bool CheckHeight(const Expr& expr);

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  const ParseLimits& limits_;
  std::vector<Diagnostic>& diagnostics_;
  size_t nesting_ = 0;
  bool stopped_ = false;  // too many errors: every Peek() now sees the end
};

// Counts one level of expression nesting for as long as it lives; ok() is false
// (and the error reported once) past ParseLimits::max_nesting.
class DepthGuard {
 public:
  explicit DepthGuard(Parser& parser);
  ~DepthGuard() { --parser_.nesting_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
  bool ok() const { return ok_; }

 private:
  Parser& parser_;
  bool ok_;
};

// Words that start a rule item, a pattern stage, or a top-level declaration:
// the synchronizing tokens of error recovery.
bool IsRuleItemWord(std::string_view word);
bool IsStageWord(std::string_view word);
bool IsTopLevelWord(std::string_view word);

}  // namespace rules::internal
