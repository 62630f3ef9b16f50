// Leaves (literals, field and window-aggregate reads) and the boolean operators.

#include "cep/expr/internal/ops.h"

namespace cep::internal {

Value EvalLiteral(const Node& node, EvalContext&) { return node.constant; }

// A slot holding a value of another type than the schema says (a decoder bug or
// a schema drift) reads as null: typed operators downstream rely on every result
// being null or of its node's type.
Value EvalField(const Node& node, EvalContext& ctx) {
  if (ctx.event == nullptr || node.slot >= ctx.event->field_count()) return Value::Null();
  const Value& v = ctx.event->field(node.slot);
  return v.type() == node.type ? v : Value::Null();
}

Value EvalWindowAggregate(const Node& node, EvalContext& ctx) {
  if (node.index >= ctx.aggregates.size()) return Value::Null();
  const Value& v = ctx.aggregates[node.index];
  return v.type() == node.type ? v : Value::Null();
}

// and/or short-circuit and never yield null: a null operand counts as false.
Value EvalAnd(const Node& node, EvalContext& ctx) {
  return Value::Bool(Truthy(EvalKid(node, 0, ctx)) && Truthy(EvalKid(node, 1, ctx)));
}
Value EvalOr(const Node& node, EvalContext& ctx) {
  return Value::Bool(Truthy(EvalKid(node, 0, ctx)) || Truthy(EvalKid(node, 1, ctx)));
}
// Same two-valued logic: `not null` is true.
Value EvalNot(const Node& node, EvalContext& ctx) {
  return Value::Bool(!Truthy(EvalKid(node, 0, ctx)));
}

Value EvalIsNull(const Node& node, EvalContext& ctx) {
  return Value::Bool(EvalKid(node, 0, ctx).is_null() != node.negate);
}

// The match itself was computed once per event by Hyperscan; a null field is
// false for both `~` and `!~`, like every comparison with null.
Value EvalRegex(const Node& node, EvalContext& ctx) {
  if (EvalKid(node, 0, ctx).is_null()) return Value::Bool(false);
  return Value::Bool(ctx.regex.Test(node.index) != node.negate);
}

Value EvalFalse(const Node&, EvalContext&) { return Value::Bool(false); }
Value EvalNull(const Node&, EvalContext&) { return Value::Null(); }

}  // namespace cep::internal
