#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rules/checker.h"

// Private to rules/: the checker behind rules::Check, split over checker.cc
// (ruleset, rules, patterns, windows) and checker_expr.cc (expression types).
namespace rules::internal {

// What an expression may refer to where it stands.
struct Scope {
  enum class Kind : uint8_t {
    kEvent,    // the current event only: rule `where`, a window aggregate's argument
    kPattern,  // a stage condition or a pattern rule's emit: stages and their aggregates
    kWindow,   // a window's `when` or a window rule's emit: window aggregates
  };
  Kind kind = Kind::kEvent;
  const PatternSpec* pattern = nullptr;
  // Stages with index < visible_stages may be referenced; own_stage (a looping
  // stage's own condition) also may.
  size_t visible_stages = 0;
  std::optional<size_t> own_stage;
  bool current_event = true;  // bare fields read the current event
};

class Checker {
 public:
  explicit Checker(std::vector<Diagnostic>& diagnostics) : diagnostics_(diagnostics) {}
  cep::Schema Run(Ruleset& ruleset);

 private:
  void Error(const SourceSpan& span, std::string message);
  void CheckSchema(const Ruleset& ruleset);
  void CheckConsts(Ruleset& ruleset);
  void CheckRule(Rule& rule);
  void CheckPattern(Rule& rule);
  void CheckStage(Rule& rule, size_t index);
  void CheckQuantifier(const PatternStage& stage);
  void CheckWindow(Rule& rule);
  void CheckPositive(const DurationLit& duration, std::string_view what);
  void CheckCondition(Expr& expr, const Scope& scope, std::string_view what);

  // ---- checker_expr.cc: fills expr.resolved; false if an error was reported.
  bool Resolve(Expr& expr, const Scope& scope);
  bool ResolveName(Expr& expr, const Scope& scope);
  bool ResolveStageField(Expr& expr, const Scope& scope);
  bool ResolveCall(Expr& expr, const Scope& scope);
  bool ResolveAggregate(Expr& expr, const Scope& scope);
  bool ResolveUnary(Expr& expr, const Scope& scope);
  bool ResolveBinary(Expr& expr, const Scope& scope);
  bool ResolveList(Expr& expr, const Scope& scope);
  std::optional<size_t> FindStage(const Scope& scope, std::string_view name) const;

  std::vector<Diagnostic>& diagnostics_;
  cep::Schema schema_;
  const Ruleset* ruleset_ = nullptr;
  std::map<std::string, size_t, std::less<>> consts_;
};

// int < decimal < float; nullopt if either side is not numeric.
std::optional<cep::Type> PromoteNumeric(cep::Type a, cep::Type b);
bool IsNumeric(cep::Type type);

}  // namespace rules::internal
