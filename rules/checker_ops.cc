// Aggregates and operators: where each aggregate may stand, and the operand
// types of every operator (numeric promotion int < decimal < float).
#include "rules/internal/checker_impl.h"

namespace rules::internal {
namespace {

// avg of a decimal stays an exact decimal (rounded to 6 places); of an int or a
// float it is a float. cep/expr (stage aggregates) and cep/window compute exactly
// these types, and a value read as another type would be null.
cep::Type AvgType(cep::Type input) {
  return input == cep::Type::kDecimal ? cep::Type::kDecimal : cep::Type::kFloat;
}

std::string TypeName(const Resolution& r) {
  return r.is_list ? "a list" : std::string(TypeKeyword(r.type));
}

bool Comparable(cep::Type a, cep::Type b) { return a == b || PromoteNumeric(a, b).has_value(); }

// The type of `a OP b` for + - * / %, or nullopt if the operands do not fit.
std::optional<cep::Type> ArithmeticType(BinaryOp op, cep::Type a, cep::Type b) {
  using cep::Type;
  if (auto numeric = PromoteNumeric(a, b)) return numeric;
  const bool additive = op == BinaryOp::kAdd || op == BinaryOp::kSub;
  if (additive && a == Type::kDuration && b == Type::kDuration) return Type::kDuration;
  if (additive && a == Type::kTime && b == Type::kDuration) return Type::kTime;
  if (op == BinaryOp::kAdd && a == Type::kDuration && b == Type::kTime) return Type::kTime;
  if (op == BinaryOp::kSub && a == Type::kTime && b == Type::kTime) return Type::kDuration;
  if (op == BinaryOp::kMul && ((a == Type::kDuration && b == Type::kInt) ||
                               (a == Type::kInt && b == Type::kDuration))) {
    return Type::kDuration;
  }
  if (op == BinaryOp::kDiv && a == Type::kDuration && b == Type::kInt) return Type::kDuration;
  return std::nullopt;
}

}  // namespace

bool Checker::ResolveAggregate(Expr& expr, const Scope& scope) {
  const std::string& name = expr.text;
  Resolution& r = expr.resolved;
  r.is_constant = false;
  if (scope.kind == Scope::Kind::kEvent) {
    Error(expr.span, name + "() is an aggregate: aggregates stand in a window's 'when' and in "
                            "pattern conditions and emit");
    return false;
  }
  if (scope.kind == Scope::Kind::kPattern) {
    if (expr.filter) {
      Error(expr.filter->span, "a filter ('where') applies to window aggregates only");
      return false;
    }
    if (expr.args.size() != 1) {
      Error(expr.span, name + "() over a pattern takes one stage, as in " +
                           (name == "count" ? "count(small)" : name + "(small.amount)"));
      return false;
    }
    Expr& arg = *expr.args[0];
    if (name == "count") {
      auto stage = arg.kind == ExprKind::kName && arg.qualifier.empty()
                       ? FindStage(scope, arg.text)
                       : std::nullopt;
      if (!stage) {
        Error(arg.span, "count() over a pattern counts a stage's events: count(STAGE)");
        return false;
      }
      // Resolve as stage.ts to apply the visibility rules, then mark the stage itself.
      Expr probe;
      probe.kind = ExprKind::kName;
      probe.qualifier = arg.text;
      probe.text = schema_.ts_slot() ? "ts" : schema_.field(0).name;
      probe.span = arg.span;
      if (!ResolveStageField(probe, scope)) return false;
      if (probe.resolved.ref != RefKind::kStageField) {
        Error(arg.span, "stage '" + arg.text + "' has accepted no events in its own condition");
        return false;
      }
      arg.resolved = Resolution{cep::Type::kNull, RefKind::kStage, 0, probe.resolved.stage, 0,
                                false, false};
      r = Resolution{cep::Type::kInt, RefKind::kStageAggregate, 0, probe.resolved.stage, 0,
                     false, false};
      return true;
    }
    if (arg.kind != ExprKind::kName || arg.qualifier.empty() || arg.qualifier == "attrs") {
      Error(arg.span, name + "() over a pattern reads a stage's field: " + name + "(STAGE.FIELD)");
      return false;
    }
    if (!ResolveStageField(arg, scope)) return false;
    if (arg.resolved.ref != RefKind::kStageField) {
      Error(arg.span, "stage '" + arg.qualifier + "' has accepted no events in its own condition");
      return false;
    }
    cep::Type type = arg.resolved.type;
    if ((name == "sum" || name == "avg") && !IsNumeric(type)) {
      Error(arg.span, name + "() needs a number, got " + TypeName(arg.resolved));
      return false;
    }
    if (name == "avg") type = AvgType(type);
    if (name == "count_distinct") type = cep::Type::kInt;
    r = Resolution{type, RefKind::kStageAggregate, arg.resolved.slot, arg.resolved.stage, 0,
                   false, false};
    return true;
  }
  // A window aggregate: over the events in the window, each read as the current event.
  Scope event;
  if (name == "first" || name == "last") {
    Error(expr.span, name + "() reads a pattern stage; a window has count, sum, avg, min, max "
                            "and count_distinct");
    return false;
  }
  if (expr.filter) CheckCondition(*expr.filter, event, "an aggregate's filter");
  const size_t arity = name == "count" ? 0 : 1;
  if (expr.args.size() != arity) {
    Error(expr.span, name == "count" ? "count() over a window takes no argument (filter with "
                                       "count(where ...))"
                                     : name + "() takes one field, as in " + name + "(amount)");
    return false;
  }
  r = Resolution{cep::Type::kInt, RefKind::kWindowAggregate, 0, 0, 0, false, false};
  if (arity == 0) return true;
  Expr& arg = *expr.args[0];
  if (!Resolve(arg, event)) return false;
  cep::Type type = arg.resolved.type;
  if ((name == "sum" || name == "avg") && !IsNumeric(type)) {
    Error(arg.span, name + "() needs a number, got " + TypeName(arg.resolved));
    return false;
  }
  if (name == "avg") type = AvgType(type);
  if (name == "count_distinct") type = cep::Type::kInt;
  r.type = type;
  r.slot = arg.resolved.slot;
  return true;
}

bool Checker::ResolveUnary(Expr& expr, const Scope& scope) {
  Expr& operand = *expr.args[0];
  if (!Resolve(operand, scope)) return false;
  const Resolution& o = operand.resolved;
  const bool is_not = expr.unary_op == UnaryOp::kNot;
  const bool fits = !o.is_list && operand.kind != ExprKind::kRegex &&
                    (is_not ? o.type == cep::Type::kBool
                            : IsNumeric(o.type) || o.type == cep::Type::kDuration);
  if (!fits) {
    Error(expr.span, is_not ? "'not' needs a condition (bool), got " + TypeName(o)
                            : "'-' needs a number or a duration, got " + TypeName(o));
    return false;
  }
  expr.resolved = Resolution{o.type, RefKind::kUnresolved, 0, 0, 0, false, o.is_constant};
  return true;
}

bool Checker::ResolveBinary(Expr& expr, const Scope& scope) {
  Expr& left = *expr.args[0];
  Expr& right = *expr.args[1];
  if (!Resolve(left, scope) || !Resolve(right, scope)) return false;
  const Resolution& a = left.resolved;
  const Resolution& b = right.resolved;
  const std::string op(BinaryOpText(expr.binary_op));
  expr.resolved = Resolution{cep::Type::kBool, RefKind::kUnresolved, 0, 0, 0, false,
                             a.is_constant && b.is_constant};
  const bool match = expr.binary_op == BinaryOp::kMatch || expr.binary_op == BinaryOp::kNotMatch;
  const bool right_regex =
      right.kind == ExprKind::kRegex ||
      (b.ref == RefKind::kConst && ruleset_->consts[b.const_index].value->kind == ExprKind::kRegex);
  if (match) {
    if (left.kind != ExprKind::kName || a.type != cep::Type::kString || a.is_list) {
      Error(left.span, "'" + op + "' needs a string field on its left, got " + TypeName(a));
      return false;
    }
    if (!right_regex) {
      Error(right.span, "'" + op + "' needs a regex such as /casino/i on its right");
      return false;
    }
    return true;
  }
  if (left.kind == ExprKind::kRegex || right_regex) {
    Error(right_regex ? right.span : left.span, "a regex can only follow '~' or '!~'");
    return false;
  }
  if (expr.binary_op == BinaryOp::kIn || expr.binary_op == BinaryOp::kNotIn) {
    if (!b.is_list || a.is_list) {
      Error(right.span, "'" + op + "' needs a list such as [1, 2] or a list constant on its right");
      return false;
    }
    if (b.type != cep::Type::kNull && !Comparable(a.type, b.type)) {
      Error(expr.span, "'" + op + "' compares " + TypeName(a) + " with a list of " +
                           std::string(TypeKeyword(b.type)));
      return false;
    }
    return true;
  }
  if (a.is_list || b.is_list) {
    Error(a.is_list ? left.span : right.span, "a list can only follow 'in' or 'not in'");
    return false;
  }
  switch (expr.binary_op) {
    case BinaryOp::kAnd: case BinaryOp::kOr:
      if (a.type == cep::Type::kBool && b.type == cep::Type::kBool) return true;
      Error(a.type != cep::Type::kBool ? left.span : right.span,
            "'" + op + "' needs conditions (bool), got " +
                TypeName(a.type != cep::Type::kBool ? a : b));
      return false;
    case BinaryOp::kEq: case BinaryOp::kNe:
      if (Comparable(a.type, b.type)) return true;
      Error(expr.span, "'" + op + "' compares " + TypeName(a) + " with " + TypeName(b));
      return false;
    case BinaryOp::kLt: case BinaryOp::kLe: case BinaryOp::kGt: case BinaryOp::kGe:
      if (Comparable(a.type, b.type) && a.type != cep::Type::kBool) return true;
      Error(expr.span, "'" + op + "' orders numbers, strings, times or durations of one kind; "
                                  "got " + TypeName(a) + " and " + TypeName(b));
      return false;
    default: {
      auto type = ArithmeticType(expr.binary_op, a.type, b.type);
      if (!type) {
        Error(expr.span, "'" + op + "' needs numbers (or times and durations), got " +
                             TypeName(a) + " and " + TypeName(b));
        return false;
      }
      expr.resolved.type = *type;
      return true;
    }
  }
}

}  // namespace rules::internal
