// Expressions, with the precedence of DSL.md "Expressions", lowest first:
// or; and; not; comparisons (== != < <= > >= in, not in, ~, !~, is [not] null);
// + -; * / %; unary -; primary.
#include <algorithm>

#include "rules/internal/parser_impl.h"

namespace rules::internal {
namespace {

std::optional<BinaryOp> ComparisonOf(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEq: return BinaryOp::kEq;
    case TokenKind::kNe: return BinaryOp::kNe;
    case TokenKind::kLt: return BinaryOp::kLt;
    case TokenKind::kLe: return BinaryOp::kLe;
    case TokenKind::kGt: return BinaryOp::kGt;
    case TokenKind::kGe: return BinaryOp::kGe;
    case TokenKind::kTilde: return BinaryOp::kMatch;
    case TokenKind::kNotTilde: return BinaryOp::kNotMatch;
    default: return std::nullopt;
  }
}

ExprPtr NewExpr(ExprKind kind, const SourceSpan& span) {
  auto expr = std::make_unique<Expr>();
  expr->kind = kind;
  expr->span = span;
  return expr;
}

}  // namespace

ExprPtr Parser::ParseStandaloneExpr() {
  ExprPtr expr = ParseExpr();
  if (expr != nullptr && !At(TokenKind::kEof)) {
    ExpectedError("an operator or the end of the expression");
    return nullptr;
  }
  return expr;
}

bool Parser::CheckHeight(const Expr& expr) {
  if (expr.height <= limits_.max_expr_height) return true;
  Error(expr.span, "expression is too deep: more than " +
                       std::to_string(limits_.max_expr_height) +
                       " nested operations; split it or use a list with 'in'");
  return false;
}

ExprPtr Parser::MakeBinary(BinaryOp op, ExprPtr left, ExprPtr right) {
  if (left == nullptr || right == nullptr) return nullptr;
  auto expr = NewExpr(ExprKind::kBinary, Cover(left->span, right->span));
  expr->binary_op = op;
  expr->height = std::max(left->height, right->height) + 1;
  expr->args.push_back(std::move(left));
  expr->args.push_back(std::move(right));
  if (!CheckHeight(*expr)) return nullptr;
  return expr;
}

ExprPtr Parser::MakeUnary(UnaryOp op, ExprPtr operand, const SourceSpan& op_span) {
  if (operand == nullptr) return nullptr;
  auto expr = NewExpr(ExprKind::kUnary, Cover(op_span, operand->span));
  expr->unary_op = op;
  expr->height = operand->height + 1;
  expr->args.push_back(std::move(operand));
  if (!CheckHeight(*expr)) return nullptr;
  return expr;
}

ExprPtr Parser::ParseExpr() {
  DepthGuard guard(*this);
  if (!guard.ok()) return nullptr;
  return ParseOr();
}

ExprPtr Parser::ParseOr() {
  ExprPtr left = ParseAnd();
  while (left != nullptr && AcceptWord("or")) left = MakeBinary(BinaryOp::kOr, std::move(left), ParseAnd());
  return left;
}

ExprPtr Parser::ParseAnd() {
  ExprPtr left = ParseNot();
  while (left != nullptr && AcceptWord("and")) {
    left = MakeBinary(BinaryOp::kAnd, std::move(left), ParseNot());
  }
  return left;
}

ExprPtr Parser::ParseNot() {
  if (!AtWord("not")) return ParseComparison();
  const SourceSpan op = Advance().span;
  DepthGuard guard(*this);
  if (!guard.ok()) return nullptr;
  return MakeUnary(UnaryOp::kNot, ParseNot(), op);
}

// One comparison at most: `a < b < c` is an error rather than a surprise.
ExprPtr Parser::ParseComparison() {
  ExprPtr left = ParseAdditive();
  if (left == nullptr) return nullptr;
  if (AtWord("is")) {
    Advance();
    const bool negated = AcceptWord("not");
    const SourceSpan null_span = Peek().span;
    if (!AcceptWord("null")) {
      ExpectedError(negated ? "'null' after 'is not'" : "'null' or 'not null' after 'is'");
      return nullptr;
    }
    auto expr = NewExpr(ExprKind::kIsNull, Cover(left->span, null_span));
    expr->negated = negated;
    expr->height = left->height + 1;
    expr->args.push_back(std::move(left));
    if (!CheckHeight(*expr)) return nullptr;
    left = std::move(expr);
  } else {
    std::optional<BinaryOp> op = ComparisonOf(Peek().kind);
    if (!op && AtWord("in")) op = BinaryOp::kIn;
    if (!op && AtWord("not") && Peek(1).kind == TokenKind::kIdent && Peek(1).text == "in") {
      Advance();
      op = BinaryOp::kNotIn;
    }
    if (!op) return left;
    Advance();
    left = MakeBinary(*op, std::move(left), ParseAdditive());
    if (left == nullptr) return nullptr;
  }
  const bool chained = ComparisonOf(Peek().kind).has_value() || AtWord("in") || AtWord("is") ||
                       (AtWord("not") && Peek(1).kind == TokenKind::kIdent && Peek(1).text == "in");
  if (chained) {
    Error(Peek().span, "comparisons do not chain: use 'and' or parentheses, got " +
                           Describe(Peek()));
    return nullptr;
  }
  return left;
}

ExprPtr Parser::ParseAdditive() {
  ExprPtr left = ParseMultiplicative();
  while (left != nullptr && (At(TokenKind::kPlus) || At(TokenKind::kMinus))) {
    const BinaryOp op = Advance().kind == TokenKind::kPlus ? BinaryOp::kAdd : BinaryOp::kSub;
    left = MakeBinary(op, std::move(left), ParseMultiplicative());
  }
  return left;
}

ExprPtr Parser::ParseMultiplicative() {
  ExprPtr left = ParseUnary();
  while (left != nullptr &&
         (At(TokenKind::kStar) || At(TokenKind::kSlash) || At(TokenKind::kPercent))) {
    const TokenKind kind = Advance().kind;
    const BinaryOp op = kind == TokenKind::kStar    ? BinaryOp::kMul
                        : kind == TokenKind::kSlash ? BinaryOp::kDiv
                                                    : BinaryOp::kMod;
    left = MakeBinary(op, std::move(left), ParseUnary());
  }
  return left;
}

ExprPtr Parser::ParseUnary() {
  if (!At(TokenKind::kMinus)) return ParsePrimary();
  const SourceSpan op = Advance().span;
  DepthGuard guard(*this);
  if (!guard.ok()) return nullptr;
  return MakeUnary(UnaryOp::kNeg, ParseUnary(), op);
}

ExprPtr Parser::ParsePrimary() {
  if (ExprPtr literal = ParseLiteral()) return literal;
  if (At(TokenKind::kLParen)) {
    const SourceSpan open = Advance().span;
    ExprPtr inner = ParseExpr();
    if (inner == nullptr) return nullptr;
    const SourceSpan close = Peek().span;
    if (!Expect(TokenKind::kRParen, "')'")) return nullptr;
    inner->span = Cover(open, close);
    return inner;
  }
  if (At(TokenKind::kLBracket)) return ParseList();
  if (At(TokenKind::kIdent) && !IsReservedWord(Peek().text)) return ParseNameOrCall();
  ExpectedError("an expression (a field, literal, call or '(')");
  return nullptr;
}

// A literal token, or null (nothing consumed, nothing reported) if there is none.
ExprPtr Parser::ParseLiteral() {
  const Token& token = Peek();
  ExprPtr expr;
  switch (token.kind) {
    case TokenKind::kInt: expr = NewExpr(ExprKind::kInt, token.span); break;
    case TokenKind::kDecimal: expr = NewExpr(ExprKind::kDecimal, token.span); break;
    case TokenKind::kDuration: expr = NewExpr(ExprKind::kDuration, token.span); break;
    case TokenKind::kString:
      expr = NewExpr(ExprKind::kString, token.span);
      expr->text = token.str;
      break;
    case TokenKind::kRegex:
      expr = NewExpr(ExprKind::kRegex, token.span);
      expr->text = token.str;
      expr->flags = token.flags;
      break;
    case TokenKind::kIdent:
      if (token.text != "true" && token.text != "false") return nullptr;
      expr = NewExpr(ExprKind::kBool, token.span);
      expr->int_value = token.text == "true" ? 1 : 0;
      Advance();
      return expr;
    default:
      return nullptr;
  }
  if (token.kind != TokenKind::kString && token.kind != TokenKind::kRegex) {
    expr->int_value = token.int_value;
  }
  Advance();
  return expr;
}

// Lists and calls need no DepthGuard of their own: each element goes through
// ParseExpr, which counts the level.
ExprPtr Parser::ParseList() {
  const SourceSpan open = Advance().span;
  auto list = NewExpr(ExprKind::kList, open);
  while (!At(TokenKind::kRBracket)) {
    ExprPtr element = ParseExpr();
    if (element == nullptr) return nullptr;
    list->height = std::max(list->height, element->height + 1);
    list->args.push_back(std::move(element));
    if (!Accept(TokenKind::kComma)) break;
  }
  const SourceSpan close = Peek().span;
  if (!Expect(TokenKind::kRBracket, "',' or ']' in the list")) return nullptr;
  list->span = Cover(open, close);
  if (!CheckHeight(*list)) return nullptr;
  return list;
}

// `name`, `stage.field`, `attrs.NAME`, or a call `f(args [where filter])`.
ExprPtr Parser::ParseNameOrCall() {
  const Token& first = Peek();
  if (first.kind != TokenKind::kIdent || IsReservedWord(first.text)) {
    ExpectedError("a name");
    return nullptr;
  }
  Advance();
  if (At(TokenKind::kLParen)) {
    auto call = NewExpr(ExprKind::kCall, first.span);
    call->text = std::string(first.text);
    if (!ParseCallArguments(*call)) return nullptr;
    return call;
  }
  auto name = NewExpr(ExprKind::kName, first.span);
  name->text = std::string(first.text);
  if (Accept(TokenKind::kDot)) {
    const Token& second = Peek();
    if (second.kind != TokenKind::kIdent) {
      ExpectedError("a field name after '" + std::string(first.text) + ".'");
      return nullptr;
    }
    Advance();
    name->qualifier = std::move(name->text);
    name->text = std::string(second.text);
    name->span = Cover(first.span, second.span);
    if (At(TokenKind::kDot)) {
      Error(Peek().span, "a name has at most one '.': stage.field or attrs.NAME");
      return nullptr;
    }
  }
  return name;
}

bool Parser::ParseCallArguments(Expr& call) {
  Advance();  // '('
  while (!At(TokenKind::kRParen) && !AtWord("where")) {
    ExprPtr arg = ParseExpr();
    if (arg == nullptr) return false;
    call.height = std::max(call.height, arg->height + 1);
    call.args.push_back(std::move(arg));
    if (!Accept(TokenKind::kComma)) break;
  }
  if (AcceptWord("where")) {
    call.filter = ParseExpr();
    if (call.filter == nullptr) return false;
    call.height = std::max(call.height, call.filter->height + 1);
  }
  const SourceSpan close = Peek().span;
  if (!Expect(TokenKind::kRParen, "',', 'where' or ')' in the call to " + call.text + "()")) {
    return false;
  }
  call.span = Cover(call.span, close);
  return CheckHeight(call);
}

}  // namespace rules::internal
