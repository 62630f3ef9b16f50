#include "rules/checker.h"

#include <algorithm>
#include <set>

#include "rules/internal/checker_impl.h"

namespace rules {
namespace internal {

void Checker::Error(const SourceSpan& span, std::string message) {
  diagnostics_.push_back({span, std::move(message)});
}

cep::Schema Checker::Run(Ruleset& ruleset) {
  ruleset_ = &ruleset;
  CheckSchema(ruleset);
  CheckConsts(ruleset);
  std::set<std::string, std::less<>> names;
  for (Rule& rule : ruleset.rules) {
    if (!names.insert(rule.name.name).second) {
      Error(rule.name.span, "rule '" + rule.name.name + "' is defined twice");
    }
    CheckRule(rule);
  }
  return std::move(schema_);
}

void Checker::CheckSchema(const Ruleset& ruleset) {
  if (!ruleset.schema || ruleset.schema->builtin_transaction) {
    schema_ = cep::Schema::Transaction();
    return;
  }
  if (ruleset.schema->fields.empty()) Error(ruleset.schema->span, "the schema declares no fields");
  for (const FieldDecl& field : ruleset.schema->fields) {
    if (field.name.name == "attrs") {
      Error(field.name.span, "'attrs' is the attribute map and cannot be a field");
      continue;
    }
    auto added = schema_.Add(field.name.name, field.type);
    if (!added.ok()) Error(field.name.span, added.error().message());
  }
}

void Checker::CheckConsts(Ruleset& ruleset) {
  for (size_t i = 0; i < ruleset.consts.size(); ++i) {
    ConstDecl& decl = ruleset.consts[i];
    if (!consts_.emplace(decl.name.name, i).second) {
      Error(decl.name.span, "constant '" + decl.name.name + "' is defined twice");
      continue;
    }
    if (schema_.Find(decl.name.name)) {
      Error(decl.name.span, "constant '" + decl.name.name + "' has the name of a field");
    }
    (void)Resolve(*decl.value, Scope{});
  }
}

void Checker::CheckPositive(const DurationLit& duration, std::string_view what) {
  if (duration.value.millis() <= 0) {
    Error(duration.span, "the duration of " + std::string(what) + " must be positive");
  }
}

void Checker::CheckCondition(Expr& expr, const Scope& scope, std::string_view what) {
  if (!Resolve(expr, scope)) return;
  if (expr.resolved.type != cep::Type::kBool || expr.resolved.is_list) {
    Error(expr.span, std::string(what) + " must be a condition (bool), got " +
                         std::string(TypeKeyword(expr.resolved.type)));
  }
}

void Checker::CheckRule(Rule& rule) {
  if (rule.key && !rule.key->none) {
    for (ExprPtr& field : rule.key->fields) (void)Resolve(*field, Scope{});
  }
  if (rule.where) CheckCondition(*rule.where, Scope{}, "'where'");
  if (rule.pattern && rule.window) {
    Error(rule.window->span, "rule '" + rule.name.name +
                                 "' has a pattern and a window; a rule is one or the other");
  } else if (!rule.pattern && !rule.window) {
    Error(rule.name.span, "rule '" + rule.name.name +
                              "' needs a pattern or a window (for a single-event rule write "
                              "'pattern begin e where ...')");
  }
  if (rule.pattern) CheckPattern(rule);
  if (rule.window) CheckWindow(rule);
  if (rule.skip && !rule.pattern) Error(rule.skip->span, "'skip' applies to patterns only");
  if (rule.on_timeout_emit && !(rule.pattern && rule.pattern->within)) {
    Error(rule.on_timeout_span, "'on timeout emit' needs a pattern with 'within'");
  }
  if (rule.suppress) CheckPositive(*rule.suppress, "'suppress'");
  if (rule.late && rule.late->kind == LatePolicy::Kind::kAccept) {
    CheckPositive(rule.late->accept, "'late accept'");
  }
  if (rule.emit) {
    Scope scope;
    if (rule.pattern) {
      scope.kind = Scope::Kind::kPattern;
      scope.pattern = &*rule.pattern;
      scope.visible_stages = rule.pattern->stages.size();
      scope.current_event = false;
    } else if (rule.window) {
      scope.kind = Scope::Kind::kWindow;
      scope.current_event = rule.window->kind == WindowKind::kLast;
    }
    std::set<std::string, std::less<>> names;
    for (EmitField& field : *rule.emit) {
      if (!names.insert(field.name.name).second) {
        Error(field.name.span, "'" + field.name.name + "' is emitted twice");
      }
      (void)Resolve(*field.value, scope);
    }
  }
}

void Checker::CheckWindow(Rule& rule) {
  WindowSpec& window = *rule.window;
  CheckPositive(window.size, "a window");
  if (window.every) {
    CheckPositive(*window.every, "'every'");
    if (window.every->value > window.size.value) {
      Error(window.every->span, "a sliding window's hop ('every') cannot exceed its length");
    }
  }
  Scope scope;
  scope.kind = Scope::Kind::kWindow;
  // Only `window last` fires at an event, so only there does a bare field have one.
  scope.current_event = window.kind == WindowKind::kLast;
  if (window.when) CheckCondition(*window.when, scope, "a window's 'when'");
}

}  // namespace internal

cep::Result<CheckedRuleset, std::vector<Diagnostic>> Check(Ruleset ruleset) {
  std::vector<Diagnostic> diagnostics;
  CheckedRuleset checked;
  checked.schema = internal::Checker(diagnostics).Run(ruleset);
  if (!diagnostics.empty()) {
    std::stable_sort(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                       return a.span.offset < b.span.offset;
                     });
    return cep::Unexpected(std::move(diagnostics));
  }
  checked.ast = std::move(ruleset);
  return checked;
}

}  // namespace rules
