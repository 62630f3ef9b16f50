#include <string>

#include "cep/nfa/pattern.h"

namespace cep {
namespace {

std::string StageLabel(const Pattern& pattern, size_t index) {
  return "stage " + std::to_string(index) + " '" + pattern.stages[index].name + "'";
}

bool IsNegation(const Stage& stage) { return stage.kind != StageKind::kPositive; }

// A stage is optional if it says so or if its minimum is 0 (pattern.h: `optional`
// is min 0 on a single stage).
bool IsOptional(const Stage& stage) {
  return stage.kind == StageKind::kPositive &&
         (stage.quantifier.optional || stage.quantifier.min == 0);
}

Status ValidateStage(const Pattern& pattern, size_t index) {
  const Stage& stage = pattern.stages[index];
  const Quantifier& q = stage.quantifier;
  const std::string label = StageLabel(pattern, index);
  if (IsNegation(stage)) {
    if (index == 0) return InvalidArgument(label + ": a pattern cannot begin with a negation");
    if (q.min != 1 || q.max != 1 || q.optional || q.greedy || q.inner != Contiguity::kRelaxed) {
      return InvalidArgument(label + ": a negation takes no quantifier");
    }
    if (stage.until != nullptr) return InvalidArgument(label + ": `until` needs a looping stage");
    if (IsOptional(pattern.stages[index - 1])) {
      return InvalidArgument(label + ": a negation cannot directly follow an optional stage");
    }
    return Status::Ok();
  }
  if (q.max == 0) return InvalidArgument(label + ": a stage must accept at least one event");
  if (q.min > q.max) return InvalidArgument(label + ": minimum exceeds maximum");
  if (!q.looping()) {
    if (stage.until != nullptr) return InvalidArgument(label + ": `until` needs a looping stage");
    if (q.greedy) return InvalidArgument(label + ": `greedy` needs a looping stage");
    if (q.inner != Contiguity::kRelaxed) {
      return InvalidArgument(label + ": `consecutive`/`allow_combinations` need a looping stage");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidatePattern(const Pattern& pattern) {
  if (pattern.stages.empty()) return InvalidArgument("a pattern needs at least one stage");
  if (pattern.stages.size() > std::numeric_limits<StageIndex>::max()) {
    return InvalidArgument("a pattern has too many stages");
  }
  for (size_t i = 0; i < pattern.stages.size(); ++i) RETURN_IF_ERROR(ValidateStage(pattern, i));
  if (pattern.stages.back().kind == StageKind::kNotFollowedBy && !pattern.within.has_value()) {
    return InvalidArgument(StageLabel(pattern, pattern.stages.size() - 1) +
                           ": a pattern ending in not_followed_by needs `within`");
  }
  if (pattern.within.has_value() && *pattern.within <= Duration::Zero()) {
    return InvalidArgument("`within` must be positive");
  }
  const SkipStrategy strategy = pattern.skip.strategy;
  if ((strategy == SkipStrategy::kSkipToFirst || strategy == SkipStrategy::kSkipToLast) &&
      pattern.skip.stage >= pattern.stages.size()) {
    return InvalidArgument("skip stage " + std::to_string(pattern.skip.stage) + " is out of range");
  }
  return Status::Ok();
}

}  // namespace cep
