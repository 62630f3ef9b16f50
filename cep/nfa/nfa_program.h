#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "cep/base/result.h"
#include "cep/nfa/pattern.h"

namespace cep {

// The NFA a Pattern compiles to, built the way Apache Flink's NFACompiler builds
// it (CEP_SEMANTICS.md §1): each stage becomes states joined by TAKE (consume the
// event), IGNORE (skip it, stay) and PROCEED (epsilon: move on without consuming)
// edges; `times` is unrolled into one state per iteration, unbounded loops get a
// looping state plus an ignore state; negations become guard edges into STOP
// states (not_followed_by), a NOT_NEXT state, or a PENDING state (not_followed_by
// at the end, which completes when the window closes). Edge conditions are small
// boolean trees over the stages' `where` / `until` Conditions.
//
// Immutable once compiled; shared by every key's NfaMatcher of a rule, from any
// thread. Compile() fails only on a pattern ValidatePattern rejects.
class NfaProgram {
 public:
  enum class StateType : uint8_t { kNormal, kFinal, kStop, kPending };
  enum class EdgeKind : uint8_t { kTake, kIgnore, kProceed };
  static constexpr uint32_t kNoStage = 0xFFFF;

  // A node of a condition tree: kWhere/kUntil read `stage`'s Condition; kNot uses
  // `left`; kAnd uses both. Trees are stored flat; children precede parents.
  struct CondNode {
    enum class Op : uint8_t { kTrue, kWhere, kUntil, kNot, kAnd };
    Op op = Op::kTrue;
    StageIndex stage = 0;
    uint32_t left = 0;
    uint32_t right = 0;
  };
  struct Edge {
    EdgeKind kind;
    uint32_t target;
    uint32_t cond;                  // index into conds()
    uint32_t source_stage = kNoStage;  // the stage a TAKE along this edge records
  };
  struct State {
    StateType type = StateType::kNormal;
    uint32_t stage = kNoStage;  // the stage whose events a TAKE from here records
    uint32_t first_edge = 0;    // edges()[first_edge, first_edge + edge_count)
    uint32_t edge_count = 0;
  };

  static Result<std::shared_ptr<const NfaProgram>> Compile(std::shared_ptr<const Pattern> pattern);

  const Pattern& pattern() const { return *pattern_; }
  const std::vector<State>& states() const { return states_; }
  const std::vector<Edge>& edges() const { return edges_; }
  const std::vector<CondNode>& conds() const { return conds_; }
  uint32_t start_state() const { return start_state_; }
  std::optional<Duration> window() const { return pattern_->within; }
  size_t stage_count() const { return pattern_->stages.size(); }

  // Evaluates condition tree `cond` on `event`; leaves are memoised in `cache`
  // (2 entries per stage: where, until; -1 = not yet evaluated) because the
  // same partial match asks the same leaf on several edges.
  bool Evaluate(uint32_t cond, const Event& event, const MatchView& view, int8_t* cache) const;

  // A human-readable dump of the states and edges, for tests and debugging.
  std::string DebugString() const;

 private:
  friend class NfaCompiler;
  NfaProgram() = default;

  std::shared_ptr<const Pattern> pattern_;
  std::vector<State> states_;
  std::vector<Edge> edges_;
  std::vector<CondNode> conds_;
  uint32_t start_state_ = 0;
};

}  // namespace cep
