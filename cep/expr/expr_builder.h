#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cep/base/result.h"
#include "cep/expr/expr.h"
#include "cep/match_view.h"
#include "cep/schema.h"
#include "cep/value.h"

namespace cep {

namespace internal {
struct Node;
}  // namespace internal

// A node under construction; valid only with the builder that returned it.
struct ExprId {
  uint32_t index = UINT32_MAX;
};

// Builds type-checked expressions bottom-up, the way rules/ walks a checked AST:
//
//   ExprBuilder b;
//   ExprId amount = b.Field(amount_slot, Type::kDecimal);
//   ASSIGN_OR_RETURN(ExprId small, b.Binary(BinaryOp::kLt, amount, b.Literal(Value::Decimal(5'000'000))));
//   ASSIGN_OR_RETURN(ExprId risky, b.In(b.Field(mcc_slot, Type::kInt), mcc_list));
//   ASSIGN_OR_RETURN(ExprId both, b.Binary(BinaryOp::kAnd, small, risky));
//   ASSIGN_OR_RETURN(std::shared_ptr<const Expr> expr, b.Build(both));
//
// Every call that combines nodes checks the operand types and fails with
// kInvalidArgument on a mismatch (the message names the operator and the
// types). An ExprId may be used by several parents and several Build calls; a
// builder may build many expressions. An id the builder did not hand out is a
// bug and CHECK-fails.
//
// Threading: one owner.
class ExprBuilder {
 public:
  ExprBuilder();
  ~ExprBuilder();
  ExprBuilder(const ExprBuilder&) = delete;
  ExprBuilder& operator=(const ExprBuilder&) = delete;

  // The static type of a node.
  Type TypeOf(ExprId id) const;

  // A constant of any Type; a string's bytes are copied into the expression.
  ExprId Literal(const Value& value);
  // The current event's slot. A value of another type in the slot reads as null.
  ExprId Field(SlotIndex slot, Type type);
  // `stage.field`: the field of the LAST event `stage` has accepted so far in the
  // partial match; null when the stage has none (or outside a pattern).
  ExprId StageField(StageIndex stage, SlotIndex slot, Type type);
  // count(stage): events the stage has accepted so far (0 when none). Int.
  ExprId StageCount(StageIndex stage);
  // sum/avg/min/max/first/last(stage.field), over the stage's events in
  // acceptance order. Null when the stage has no events; sum/avg/min/max skip
  // null fields. Types: README, "Stage aggregates".
  Result<ExprId> StageAggregate(StageAggregateFn fn, StageIndex stage, SlotIndex slot,
                                Type field_type);
  // The value of the index-th window aggregate of a velocity rule
  // (EvalContext::aggregates); null when absent or not of `type`.
  ExprId WindowAggregate(uint32_t index, Type type);

  Result<ExprId> Unary(UnaryOp op, ExprId operand);
  Result<ExprId> Binary(BinaryOp op, ExprId lhs, ExprId rhs);
  // `x in list` / `x not in list` (negate). Elements: constants comparable with x.
  Result<ExprId> In(ExprId operand, std::span<const Value> list, bool negate = false);
  // `x is null` / `x is not null` (negate).
  ExprId IsNull(ExprId operand, bool negate = false);
  // `field ~ /re/` / `field !~ /re/` (negate): tests bit `regex_id` of
  // EvalContext::regex. `field` must be a string Field() of the current event,
  // the only thing the per-event Hyperscan scan can have matched.
  Result<ExprId> Regex(ExprId field, uint32_t regex_id, bool negate = false);
  Result<ExprId> Call(Function fn, std::span<const ExprId> args);

  // An immutable expression rooted at `root` (copies the nodes it reaches).
  // Fails when the tree is deeper than kMaxDepth: evaluation recurses, and rule
  // text arrives over HTTP.
  static constexpr int kMaxDepth = 200;
  Result<std::shared_ptr<const Expr>> Build(ExprId root) const;

 private:
  ExprId Add(internal::Node node);
  const internal::Node& node(ExprId id) const;

  std::vector<internal::Node> nodes_;
};

}  // namespace cep
