// Expression types and name resolution (DSL.md "Expressions", "Events").
#include <array>

#include "rules/internal/checker_impl.h"

namespace rules::internal {
namespace {

std::string TypeText(const Resolution& r) {
  return r.is_list ? "list of " + std::string(TypeKeyword(r.type)) : std::string(TypeKeyword(r.type));
}

std::string PrintedName(const Expr& name) {
  return name.qualifier.empty() ? name.text : name.qualifier + "." + name.text;
}

bool IsAggregateName(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "count", "sum", "avg", "min", "max", "count_distinct", "first", "last"};
  for (std::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

struct ScalarFunction {
  std::string_view name;
  size_t arity;
  cep::Type arg;     // kNull: any numeric
  cep::Type result;  // kNull: the argument's type
};
constexpr ScalarFunction kScalarFunctions[] = {
    {"abs", 1, cep::Type::kNull, cep::Type::kNull},
    {"lower", 1, cep::Type::kString, cep::Type::kString},
    {"upper", 1, cep::Type::kString, cep::Type::kString},
    {"len", 1, cep::Type::kString, cep::Type::kInt},
    {"starts_with", 2, cep::Type::kString, cep::Type::kBool},
    {"ends_with", 2, cep::Type::kString, cep::Type::kBool},
    {"contains", 2, cep::Type::kString, cep::Type::kBool},
    {"geo_km", 4, cep::Type::kNull, cep::Type::kFloat},
    {"hour_of_day", 1, cep::Type::kTime, cep::Type::kInt},
    {"day_of_week", 1, cep::Type::kTime, cep::Type::kInt},
};

}  // namespace

bool IsNumeric(cep::Type type) {
  return type == cep::Type::kInt || type == cep::Type::kDecimal || type == cep::Type::kFloat;
}

std::optional<cep::Type> PromoteNumeric(cep::Type a, cep::Type b) {
  if (!IsNumeric(a) || !IsNumeric(b)) return std::nullopt;
  if (a == cep::Type::kFloat || b == cep::Type::kFloat) return cep::Type::kFloat;
  if (a == cep::Type::kDecimal || b == cep::Type::kDecimal) return cep::Type::kDecimal;
  return cep::Type::kInt;
}

std::optional<size_t> Checker::FindStage(const Scope& scope, std::string_view name) const {
  if (scope.pattern == nullptr) return std::nullopt;
  for (size_t i = 0; i < scope.pattern->stages.size(); ++i) {
    if (scope.pattern->stages[i].name.name == name) return i;
  }
  return std::nullopt;
}

bool Checker::Resolve(Expr& expr, const Scope& scope) {
  Resolution& r = expr.resolved;
  r.is_constant = true;
  switch (expr.kind) {
    case ExprKind::kInt: r.type = cep::Type::kInt; return true;
    case ExprKind::kDecimal: r.type = cep::Type::kDecimal; return true;
    case ExprKind::kString: r.type = cep::Type::kString; return true;
    case ExprKind::kRegex: r.type = cep::Type::kString; return true;
    case ExprKind::kBool: r.type = cep::Type::kBool; return true;
    case ExprKind::kDuration: r.type = cep::Type::kDuration; return true;
    case ExprKind::kList: return ResolveList(expr, scope);
    case ExprKind::kName: return ResolveName(expr, scope);
    case ExprKind::kCall: return ResolveCall(expr, scope);
    case ExprKind::kUnary: return ResolveUnary(expr, scope);
    case ExprKind::kBinary: return ResolveBinary(expr, scope);
    case ExprKind::kIsNull:
      if (!Resolve(*expr.args[0], scope)) return false;
      r.type = cep::Type::kBool;
      r.is_constant = false;
      return true;
  }
  return false;
}

bool Checker::ResolveList(Expr& expr, const Scope& scope) {
  Resolution& r = expr.resolved;
  r.is_list = true;
  r.type = cep::Type::kNull;
  for (ExprPtr& element : expr.args) {
    if (!Resolve(*element, scope)) return false;
    const Resolution& e = element->resolved;
    if (!e.is_constant || e.is_list || element->kind == ExprKind::kRegex) {
      Error(element->span, "a list holds literals and constants only");
      return false;
    }
    if (r.type == cep::Type::kNull) {
      r.type = e.type;
    } else if (auto promoted = PromoteNumeric(r.type, e.type)) {
      r.type = *promoted;
    } else if (r.type != e.type) {
      Error(element->span, "a list holds one type: " + TypeText(e) + " after " +
                               std::string(TypeKeyword(r.type)));
      return false;
    }
  }
  return true;
}

bool Checker::ResolveName(Expr& expr, const Scope& scope) {
  Resolution& r = expr.resolved;
  r.is_constant = false;
  if (expr.qualifier.empty() && expr.text == "label") {
    Error(expr.span, "rules cannot read label: a backtest must never peek at the answer");
    return false;
  }
  if (expr.qualifier == "attrs") {
    if (ruleset_->schema && !ruleset_->schema->builtin_transaction) {
      Error(expr.span, "a declared schema has no attrs; declare '" + expr.text + "' as a field");
      return false;
    }
    if (!scope.current_event) {
      Error(expr.span, "'" + PrintedName(expr) + "' has no current event here");
      return false;
    }
    const std::string slot_name = "attrs." + expr.text;
    auto slot = schema_.Find(slot_name);
    if (!slot) {
      auto added = schema_.Add(slot_name, cep::Type::kString);
      if (!added.ok()) {
        Error(expr.span, added.error().message());
        return false;
      }
      slot = *added;
    }
    r = Resolution{cep::Type::kString, RefKind::kAttr, *slot, 0, 0, false, false};
    return true;
  }
  if (!expr.qualifier.empty()) return ResolveStageField(expr, scope);
  if (auto it = consts_.find(expr.text); it != consts_.end()) {
    const Resolution& value = ruleset_->consts[it->second].value->resolved;
    r = Resolution{value.type, RefKind::kConst, 0, 0, static_cast<uint32_t>(it->second),
                   value.is_list, true};
    return true;
  }
  if (FindStage(scope, expr.text)) {
    Error(expr.span, "stage '" + expr.text + "' is a set of events: write " + expr.text +
                         ".FIELD for its last event, or count(" + expr.text + ")");
    return false;
  }
  auto slot = schema_.Find(expr.text);
  if (!slot) {
    Error(expr.span, "unknown field '" + expr.text + "'");
    return false;
  }
  if (!scope.current_event) {
    Error(expr.span, scope.kind == Scope::Kind::kWindow
                         ? "'" + expr.text + "' has no current event here: this window's "
                               "condition reads aggregates such as sum(" + expr.text + ")"
                         : "'" + expr.text + "' has no current event here: write STAGE." +
                               expr.text);
    return false;
  }
  r = Resolution{schema_.field(*slot).type, RefKind::kField, *slot, 0, 0, false, false};
  return true;
}

bool Checker::ResolveStageField(Expr& expr, const Scope& scope) {
  auto stage = FindStage(scope, expr.qualifier);
  if (!stage) {
    Error(expr.span, "unknown stage '" + expr.qualifier + "' in '" + PrintedName(expr) + "'");
    return false;
  }
  const PatternStage& target = scope.pattern->stages[*stage];
  if (target.op == StageOp::kNotNext || target.op == StageOp::kNotFollowedBy) {
    Error(expr.span, "stage '" + expr.qualifier + "' is negated and accepts no events");
    return false;
  }
  // A single-event stage naming itself (`large.amount` in large's condition)
  // reads the event being tested: it has accepted nothing else.
  const bool current = *stage == scope.visible_stages && scope.own_stage != *stage &&
                       scope.current_event;
  if (*stage >= scope.visible_stages && scope.own_stage != *stage && !current) {
    Error(expr.span, "stage '" + expr.qualifier + "' comes later in the pattern; a condition "
                     "can refer to earlier stages only");
    return false;
  }
  auto slot = schema_.Find(expr.text);
  if (!slot || expr.text == "label") {
    Error(expr.span, expr.text == "label" ? "rules cannot read label"
                                          : "unknown field '" + expr.text + "'");
    return false;
  }
  expr.resolved = Resolution{schema_.field(*slot).type,
                             current ? RefKind::kField : RefKind::kStageField, *slot,
                             static_cast<uint32_t>(*stage), 0, false, false};
  return true;
}

bool Checker::ResolveCall(Expr& expr, const Scope& scope) {
  if (IsAggregateName(expr.text)) return ResolveAggregate(expr, scope);
  const ScalarFunction* function = nullptr;
  for (const ScalarFunction& f : kScalarFunctions) {
    if (f.name == expr.text) function = &f;
  }
  if (function == nullptr) {
    Error(expr.span, "unknown function '" + expr.text + "'");
    return false;
  }
  if (expr.filter) {
    Error(expr.filter->span, "'where' inside a call filters an aggregate; " + expr.text +
                                 "() is not one");
    return false;
  }
  if (expr.args.size() != function->arity) {
    Error(expr.span, expr.text + "() takes " + std::to_string(function->arity) +
                         " argument(s), got " + std::to_string(expr.args.size()));
    return false;
  }
  bool constant = true;
  for (ExprPtr& arg : expr.args) {
    if (!Resolve(*arg, scope)) return false;
    const bool fits = function->arg == cep::Type::kNull ? IsNumeric(arg->resolved.type)
                                                        : arg->resolved.type == function->arg;
    if (!fits || arg->resolved.is_list) {
      Error(arg->span, expr.text + "() needs " +
                           (function->arg == cep::Type::kNull
                                ? std::string("a number")
                                : "a " + std::string(TypeKeyword(function->arg))) +
                           ", got " + TypeText(arg->resolved));
      return false;
    }
    constant = constant && arg->resolved.is_constant;
  }
  const cep::Type result =
      function->result == cep::Type::kNull ? expr.args[0]->resolved.type : function->result;
  expr.resolved = Resolution{result, RefKind::kFunction, 0, 0, 0, false, constant};
  return true;
}

}  // namespace rules::internal
