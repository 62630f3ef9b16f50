// Patterns: stage names, quantifiers, negations, bounded state (DSL.md
// "Patterns", CEP_SEMANTICS.md); the same structural rules as
// cep::ValidatePattern, reported with source positions.
#include <set>

#include "rules/internal/checker_impl.h"

namespace rules::internal {
namespace {

bool IsNegation(StageOp op) { return op == StageOp::kNotNext || op == StageOp::kNotFollowedBy; }

}  // namespace

void Checker::CheckPattern(Rule& rule) {
  PatternSpec& pattern = *rule.pattern;
  std::set<std::string, std::less<>> names;
  bool loops = false;
  for (size_t i = 0; i < pattern.stages.size(); ++i) {
    const PatternStage& stage = pattern.stages[i];
    if (!names.insert(stage.name.name).second) {
      Error(stage.name.span, "stage '" + stage.name.name + "' is defined twice in this pattern");
    }
    loops = loops || stage.quantifier.loops();
    CheckQuantifier(stage);
    // `times 0..M` is `times 1..M optional` (DSL.md), so it counts as optional here.
    const StageQuantifier& previous = i > 0 ? pattern.stages[i - 1].quantifier : stage.quantifier;
    const bool previous_optional =
        previous.optional ||
        (previous.count == StageQuantifier::Count::kTimesRange && previous.min == 0);
    if (IsNegation(stage.op) && i > 0 && previous_optional) {
      Error(stage.span, "a negation cannot directly follow the optional stage '" +
                            pattern.stages[i - 1].name.name + "'");
    }
    CheckStage(rule, i);
  }
  if (pattern.within) CheckPositive(*pattern.within, "'within'");
  if (!pattern.stages.empty() && pattern.stages.back().op == StageOp::kNotFollowedBy &&
      !pattern.within) {
    Error(pattern.stages.back().span,
          "a pattern ending in 'not_followed_by' needs 'within': it fires when the window "
          "expires");
  }
  if (loops && !pattern.within && !rule.unbounded) {
    Error(pattern.span, "a pattern with a looping stage needs 'within' to bound its state "
                        "(or say 'unbounded' in the rule)");
  }
  if (rule.skip && (rule.skip->kind == SkipKind::kSkipToFirst ||
                    rule.skip->kind == SkipKind::kSkipToLast)) {
    bool found = false;
    for (const PatternStage& stage : pattern.stages) {
      found = found || (stage.name.name == rule.skip->stage.name && !IsNegation(stage.op));
    }
    if (!found) {
      Error(rule.skip->stage.span,
            "'skip' names '" + rule.skip->stage.name + "', which is no positive stage of the pattern");
    }
  }
}

void Checker::CheckQuantifier(const PatternStage& stage) {
  const StageQuantifier& q = stage.quantifier;
  const std::string& name = stage.name.name;
  if (IsNegation(stage.op)) {
    if (q.count != StageQuantifier::Count::kOnce || q.optional || q.greedy || q.consecutive ||
        q.allow_combinations || stage.until) {
      Error(stage.span, "the negated stage '" + name + "' takes no quantifier or 'until'");
    }
    return;
  }
  using Count = StageQuantifier::Count;
  if ((q.count == Count::kTimes && q.min < 1) || (q.count == Count::kTimesRange && q.max < 1)) {
    Error(q.count_span, "stage '" + name + "' must take at least one event");
  }
  if (q.count == Count::kTimesRange && q.min > q.max) {
    Error(q.count_span, "in 'times N..M' N cannot exceed M");
  }
  if (q.count == Count::kTimesOrMore && q.min < 1) {
    Error(q.count_span, "'times_or_more' needs a count of at least 1");
  }
  constexpr int64_t kMaxTimes = 10'000;  // past this, one partial match holds too many events
  if (q.min > kMaxTimes || q.max > kMaxTimes) {
    Error(q.count_span, "a count is at most " + std::to_string(kMaxTimes));
  }
  if (!q.loops() && (q.greedy || q.consecutive || q.allow_combinations)) {
    Error(q.modifier_span, "greedy, consecutive and allow_combinations apply to looping stages "
                           "only ('" + name + "' takes one event)");
  }
  if (q.consecutive && q.allow_combinations) {
    Error(q.modifier_span, "'consecutive' and 'allow_combinations' contradict each other");
  }
  if (stage.until && !q.loops()) {
    Error(stage.until->span, "'until' stops a loop; stage '" + name + "' does not loop");
  }
}

void Checker::CheckStage(Rule& rule, size_t index) {
  PatternStage& stage = rule.pattern->stages[index];
  Scope scope;
  scope.kind = Scope::Kind::kPattern;
  scope.pattern = &*rule.pattern;
  scope.visible_stages = index;
  if (stage.quantifier.loops()) scope.own_stage = index;
  if (stage.where) CheckCondition(*stage.where, scope, "a stage's 'where'");
  if (stage.until) CheckCondition(*stage.until, scope, "'until'");
}

}  // namespace rules::internal
