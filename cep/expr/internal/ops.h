#pragma once

// The evaluation functions of cep/expr, grouped by family, and the choosers the
// builder calls to pick one for given operand types. A chooser fails with
// kInvalidArgument when the types do not fit the operator; that is the core's
// own type check (rules/ checks first, with source positions).

#include <span>

#include "cep/base/result.h"
#include "cep/expr/expr.h"
#include "cep/expr/internal/node.h"

namespace cep::internal {

struct OpChoice {
  EvalFn fn = nullptr;
  Type type = Type::kNull;  // result type
};

// + - * / % on numbers, times and durations (arith.cc).
Result<OpChoice> ChooseArithmetic(BinaryOp op, Type a, Type b);
// Unary minus (arith.cc).
Result<OpChoice> ChooseNegate(Type operand);
// == != < <= > >= (compare.cc).
Result<OpChoice> ChooseComparison(BinaryOp op, Type a, Type b);
// abs, lower, ..., day_of_week (functions.cc). Arity is checked here too.
Result<OpChoice> ChooseFunction(Function fn, std::span<const Type> args);
// sum/avg/min/max/first/last over a stage's events (stage_ops.cc).
Result<OpChoice> ChooseStageAggregate(StageAggregateFn fn, Type field);

// Leaves and logic (leaf_ops.cc).
Value EvalLiteral(const Node& node, EvalContext& ctx);
Value EvalField(const Node& node, EvalContext& ctx);
Value EvalWindowAggregate(const Node& node, EvalContext& ctx);
Value EvalAnd(const Node& node, EvalContext& ctx);
Value EvalOr(const Node& node, EvalContext& ctx);
Value EvalNot(const Node& node, EvalContext& ctx);
Value EvalIsNull(const Node& node, EvalContext& ctx);
Value EvalRegex(const Node& node, EvalContext& ctx);
Value EvalFalse(const Node& node, EvalContext& ctx);
Value EvalNull(const Node& node, EvalContext& ctx);
// Stage references (stage_ops.cc).
Value EvalStageField(const Node& node, EvalContext& ctx);
Value EvalStageCount(const Node& node, EvalContext& ctx);
// `in` / `not in` (value_set.cc); the node's `set` holds the list.
Value EvalIn(const Node& node, EvalContext& ctx);

// Whether a value of type `t` may stand where `want` is expected: the same
// type, or Type::kNull (an always-null operand).
inline bool Fits(Type t, Type want) { return t == want || t == Type::kNull; }
inline bool IsNumeric(Type t) {
  return t == Type::kInt || t == Type::kDecimal || t == Type::kFloat;
}

}  // namespace cep::internal
