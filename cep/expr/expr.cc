#include "cep/expr/expr.h"

#include "cep/expr/internal/node.h"

namespace cep {

Expr::Expr(Type type) : type_(type) {}
Expr::~Expr() = default;
size_t Expr::node_count() const { return nodes_.size(); }

Value Expr::Evaluate(EvalContext& ctx) const {
  ctx.scratch.Reset();
  return internal::Eval(*root_, ctx);
}

std::string_view BinaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kMod: return "%";
    case BinaryOp::kEq: return "==";
    case BinaryOp::kNe: return "!=";
    case BinaryOp::kLt: return "<";
    case BinaryOp::kLe: return "<=";
    case BinaryOp::kGt: return ">";
    case BinaryOp::kGe: return ">=";
    case BinaryOp::kAnd: return "and";
    case BinaryOp::kOr: return "or";
  }
  return "?";
}

std::string_view FunctionName(Function fn) {
  switch (fn) {
    case Function::kAbs: return "abs";
    case Function::kLower: return "lower";
    case Function::kUpper: return "upper";
    case Function::kLen: return "len";
    case Function::kStartsWith: return "starts_with";
    case Function::kEndsWith: return "ends_with";
    case Function::kContains: return "contains";
    case Function::kGeoKm: return "geo_km";
    case Function::kHourOfDay: return "hour_of_day";
    case Function::kDayOfWeek: return "day_of_week";
  }
  return "?";
}

}  // namespace cep
