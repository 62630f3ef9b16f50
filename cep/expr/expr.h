#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "cep/expr/eval_context.h"
#include "cep/value.h"

namespace cep {

// Operators and functions of the rules language (DSL.md, "Expressions"). Their
// semantics, including nulls, promotion and overflow, are in cep/expr/README.md.
enum class UnaryOp : uint8_t { kNegate, kNot };
enum class BinaryOp : uint8_t {
  kAdd, kSub, kMul, kDiv, kMod,
  kEq, kNe, kLt, kLe, kGt, kGe,
  kAnd, kOr,
};
// Aggregates over the events a pattern stage accepted so far (`sum(small.amount)`).
// count(stage) has its own builder call because it reads no field.
enum class StageAggregateFn : uint8_t { kSum, kAvg, kMin, kMax, kFirst, kLast };
enum class Function : uint8_t {
  kAbs, kLower, kUpper, kLen, kStartsWith, kEndsWith, kContains, kGeoKm, kHourOfDay, kDayOfWeek,
};
std::string_view BinaryOpName(BinaryOp op);
std::string_view FunctionName(Function fn);

namespace internal {
struct Node;
}  // namespace internal

// A compiled, type-checked expression: a tree of typed nodes, each of which was
// specialised by ExprBuilder for its operand types, so evaluation does no type
// dispatch, no name lookup and no allocation (string functions use the context's
// scratch arena). Built by ExprBuilder::Build; owns its constants.
//
// Threading: immutable, safe to share between threads (shared_ptr<const Expr>);
// each thread evaluates with its own EvalContext.
class Expr {
 public:
  ~Expr();
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  // The static type of every non-null result (Type::kNull only for an expression
  // that is always null).
  Type type() const { return type_; }

  // Evaluates against `ctx`. The result is null or of type(). A string result
  // borrows from the event, the expression's constants or ctx.scratch, so it is
  // valid until the next evaluation with `ctx`.
  Value Evaluate(EvalContext& ctx) const;
  // For boolean expressions: true only when the result is `true` (null is false).
  bool Test(EvalContext& ctx) const {
    const Value v = Evaluate(ctx);
    return v.type() == Type::kBool && v.bool_value();
  }

  size_t node_count() const;

 private:
  friend class ExprBuilder;
  explicit Expr(Type type);

  Type type_;
  // Children before parents, the root last; children point into the vector,
  // which is never resized after Build.
  std::vector<internal::Node> nodes_;
  const internal::Node* root_ = nullptr;
};

}  // namespace cep
