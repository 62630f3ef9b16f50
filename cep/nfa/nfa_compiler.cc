// Pattern -> NfaProgram, a port of the construction in Apache Flink's
// NFACompiler (flink-cep, org.apache.flink.cep.nfa.compiler): we follow Flink's
// tested behaviour (CEP_SEMANTICS.md preamble), and the simplest way to get its
// corner cases right (hand-over only after a take, greedy sink guards, stop
// guards on loop states, optional-after-negation copies) is to build the very
// same graph. Stages are converted from the last to the first, each state
// pointing at the already-built states of the following stages.
#include <map>
#include <string>
#include <utility>

#include "cep/nfa/nfa_program.h"

namespace cep {

using StateType = NfaProgram::StateType;
using EdgeKind = NfaProgram::EdgeKind;
using CondNode = NfaProgram::CondNode;
using Op = CondNode::Op;

class NfaCompiler {
 public:
  explicit NfaCompiler(std::shared_ptr<const Pattern> pattern) : pattern_(std::move(pattern)) {}

  std::shared_ptr<const NfaProgram> Build();

 private:
  struct BuildState {
    StateType type;
    uint32_t stage;
    std::vector<NfaProgram::Edge> edges;
  };
  static constexpr uint32_t kNone = UINT32_MAX;

  const Stage& stage(uint32_t i) const { return pattern_->stages[i]; }
  bool Optional(uint32_t i) const {
    const Stage& s = stage(i);
    return s.kind == StageKind::kPositive && (s.quantifier.optional || s.quantifier.min == 0);
  }
  bool IsNotFollow(uint32_t i) const { return stage(i).kind == StageKind::kNotFollowedBy; }

  // Condition trees.
  uint32_t AddCond(Op op, StageIndex s = 0, uint32_t left = 0, uint32_t right = 0) {
    conds_.push_back({op, s, left, right});
    return static_cast<uint32_t>(conds_.size() - 1);
  }
  uint32_t True() { return AddCond(Op::kTrue); }
  uint32_t Not(uint32_t c) { return AddCond(Op::kNot, 0, c); }
  uint32_t And(uint32_t a, uint32_t b) { return AddCond(Op::kAnd, 0, a, b); }
  uint32_t Take(uint32_t i) {  // Flink getTakeCondition: the stage's where, or true
    return stage(i).where ? AddCond(Op::kWhere, static_cast<StageIndex>(i)) : True();
  }
  uint32_t Until(uint32_t i) {
    return stage(i).until ? AddCond(Op::kUntil, static_cast<StageIndex>(i)) : kNone;
  }
  uint32_t IgnoreFor(uint32_t i, Contiguity contiguity) {
    switch (contiguity) {
      case Contiguity::kStrict: return kNone;
      case Contiguity::kRelaxed: return Not(Take(i));
      case Contiguity::kNonDeterministic: return True();
    }
    return kNone;
  }
  // The first stage has no contiguity; Flink's default (skip till next) is harmless
  // there because IGNOREs out of the start state are dropped at run time.
  uint32_t OuterIgnore(uint32_t i) {
    return IgnoreFor(i, i == 0 ? Contiguity::kRelaxed : stage(i).contiguity);
  }
  uint32_t InnerIgnore(uint32_t i) { return IgnoreFor(i, stage(i).quantifier.inner); }
  uint32_t ExtendWithUntil(uint32_t cond, uint32_t until, bool is_take) {
    if (until != kNone && cond != kNone) return And(Not(until), cond);
    if (until != kNone && is_take) return Not(until);
    return cond;
  }

  // States.
  uint32_t NewState(StateType type, uint32_t stage_index) {
    states_.push_back({type, stage_index, {}});
    return static_cast<uint32_t>(states_.size() - 1);
  }
  void AddEdge(uint32_t from, EdgeKind kind, uint32_t to, uint32_t cond) {
    states_[from].edges.push_back({kind, to, cond});
  }
  uint32_t StopState(uint32_t negation);
  std::vector<uint32_t> CurrentNotConditions() const;
  uint32_t CopyWithoutTransitiveNots(uint32_t sink);
  uint32_t Copy(uint32_t state);
  void AddStopStates(uint32_t state);
  void AddStopStateToLooping(uint32_t state);
  void UpdateWithGreedyCondition(uint32_t state, uint32_t take);
  uint32_t ConvertStage(uint32_t sink);
  uint32_t CreateTimesState(uint32_t sink, uint32_t proceed, uint32_t from, uint32_t to);
  uint32_t CreateSingletonState(uint32_t sink, uint32_t proceed, uint32_t take, uint32_t ignore,
                                bool optional, bool later_iteration = false);
  uint32_t CreateLooping(uint32_t sink);
  uint32_t CreateNegationState(uint32_t sink);

  std::shared_ptr<const Pattern> pattern_;
  std::vector<BuildState> states_;
  std::vector<CondNode> conds_;
  std::map<uint32_t, uint32_t> stop_states_;     // negation stage -> its STOP state
  std::map<uint32_t, uint32_t> original_state_;  // greedy+until: sink -> unguarded copy
  uint32_t current_ = 0;                         // the stage being converted
  uint32_t following_ = kNone;                   // the stage after it, if any
};

uint32_t NfaCompiler::StopState(uint32_t negation) {
  auto it = stop_states_.find(negation);
  if (it != stop_states_.end()) return it->second;
  const uint32_t stop = NewState(StateType::kStop, negation);
  AddEdge(stop, EdgeKind::kTake, stop, Take(negation));
  stop_states_[negation] = stop;
  return stop;
}

// The not_followed_by stages whose guard still applies at the current stage: the
// one right before it, and those reached backwards across optional stages (a
// skipped optional stage extends the guard, CEP_SEMANTICS.md §6).
std::vector<uint32_t> NfaCompiler::CurrentNotConditions() const {
  std::vector<uint32_t> negations;
  uint32_t i = current_;
  while (i > 0 && (Optional(i - 1) || IsNotFollow(i - 1))) {
    --i;
    if (IsNotFollow(i)) negations.push_back(i);
  }
  return negations;
}

// Taking an event in an optional stage ends the guards of the negations before it,
// so its TAKE edges lead to a copy of the sink without those STOP edges.
uint32_t NfaCompiler::CopyWithoutTransitiveNots(uint32_t sink) {
  const std::vector<uint32_t> negations = CurrentNotConditions();
  if (negations.empty() || !Optional(current_)) return sink;
  const uint32_t copy = NewState(states_[sink].type, states_[sink].stage);
  const std::vector<NfaProgram::Edge> edges = states_[sink].edges;
  for (const NfaProgram::Edge& edge : edges) {
    if (edge.kind == EdgeKind::kProceed) {
      uint32_t target = edge.target;
      bool remove = false;
      if (states_[target].type == StateType::kStop) {
        for (uint32_t n : negations) remove = remove || states_[target].stage == n;
      } else {
        target = CopyWithoutTransitiveNots(target);
      }
      if (!remove) AddEdge(copy, edge.kind, target, edge.cond);
    } else {
      AddEdge(copy, edge.kind, edge.target == sink ? copy : edge.target, edge.cond);
    }
  }
  return copy;
}

uint32_t NfaCompiler::Copy(uint32_t state) {
  const uint32_t copy = NewState(states_[state].type, states_[state].stage);
  const std::vector<NfaProgram::Edge> edges = states_[state].edges;
  for (const NfaProgram::Edge& edge : edges) {
    AddEdge(copy, edge.kind, edge.target == state ? copy : edge.target, edge.cond);
  }
  return copy;
}

void NfaCompiler::AddStopStates(uint32_t state) {
  for (uint32_t n : CurrentNotConditions()) AddEdge(state, EdgeKind::kProceed, StopState(n), Take(n));
}

// Every state of a loop carries the guard of a not_followed_by right after the
// loop, so an X after the loop's first event kills the partial (§6).
void NfaCompiler::AddStopStateToLooping(uint32_t state) {
  if (following_ != kNone && IsNotFollow(following_)) {
    AddEdge(state, EdgeKind::kProceed, StopState(following_), Take(following_));
  }
}

// Greedy (§4): the next stage may neither take nor skip an event the loop could take.
void NfaCompiler::UpdateWithGreedyCondition(uint32_t state, uint32_t take) {
  for (NfaProgram::Edge& edge : states_[state].edges) edge.cond = And(edge.cond, Not(take));
}

// `later_iteration`: the state is an optional later iteration of a `times` loop,
// not the stage waiting for its first event: its ignore state carries the guard
// of a not_followed_by right *after* the loop, and not those of negations
// *before* the stage, which ended with the stage's first take (§6).
uint32_t NfaCompiler::CreateSingletonState(uint32_t sink, uint32_t proceed, uint32_t take,
                                           uint32_t ignore, bool optional, bool later_iteration) {
  const Stage& s = stage(current_);
  const uint32_t state = NewState(StateType::kNormal, current_);
  const uint32_t take_target = CopyWithoutTransitiveNots(sink);
  AddEdge(state, EdgeKind::kTake, take_target, take);
  if (optional) {
    if (s.quantifier.greedy) {
      const uint32_t until = Until(current_);
      if (until != kNone) {
        auto it = original_state_.find(proceed);
        AddEdge(state, EdgeKind::kProceed, it == original_state_.end() ? proceed : it->second,
                And(True(), until));
      }
      AddEdge(state, EdgeKind::kProceed, proceed, until != kNone ? And(True(), Not(until)) : True());
    } else {
      AddEdge(state, EdgeKind::kProceed, proceed, True());
    }
  }
  if (ignore != kNone) {
    uint32_t ignore_state = state;
    if (optional) {
      ignore_state = NewState(StateType::kNormal, current_);
      AddEdge(ignore_state, EdgeKind::kTake, take_target, take);
      AddEdge(ignore_state, EdgeKind::kIgnore, ignore_state, ignore);
      // Flink's createSingletonState gives every optional ignore state the stop
      // guards of the negations before the stage and none of the loop's own.
      // For a later `times` iteration that is backwards (differential test):
      // `a times 1..2, not_followed_by x` let a partial that skipped an event
      // after a1 live on past an x, and `not_followed_by x, c times 1..3` killed
      // one after c1 on an x. §6 is explicit on both ("every loop state carries
      // the guard"; "once B has accepted an event, X no longer matters, even
      // inside B's loop"), and we follow it: SemanticsTest
      // S6_NotFollowedByGuardsEveryStateOfATimesRange and
      // S6_XNoLongerMattersInsideATimesRangeAfterItsFirstTake.
      if (later_iteration) {
        AddStopStateToLooping(ignore_state);
      } else {
        AddStopStates(ignore_state);
      }
    }
    AddEdge(state, EdgeKind::kIgnore, ignore_state, ignore);
  }
  return state;
}

// `times N..M` unrolled: N mandatory states, then M-N optional ones, each
// proceeding to `proceed` (the next stage); loops pass their looping state as
// `sink` and N..N.
uint32_t NfaCompiler::CreateTimesState(uint32_t sink, uint32_t proceed, uint32_t from,
                                       uint32_t to) {
  const uint32_t until = Until(current_);
  const uint32_t inner_ignore = ExtendWithUntil(InnerIgnore(current_), until, false);
  const uint32_t take = ExtendWithUntil(Take(current_), until, true);
  if (stage(current_).quantifier.greedy && from != to) {
    if (until != kNone) original_state_[sink] = Copy(sink);
    UpdateWithGreedyCondition(sink, take);
  }
  uint32_t last = sink;
  for (uint32_t i = from; i < to; ++i) {
    last = CreateSingletonState(last, proceed, take, inner_ignore, true, /*later_iteration=*/true);
    AddStopStateToLooping(last);
  }
  for (uint32_t i = 0; i + 1 < from; ++i) {
    last = CreateSingletonState(last, kNone, take, inner_ignore, false);
    AddStopStateToLooping(last);
  }
  return CreateSingletonState(last, proceed, take, OuterIgnore(current_), Optional(current_));
}

uint32_t NfaCompiler::CreateLooping(uint32_t sink) {
  const uint32_t until = Until(current_);
  const uint32_t ignore = ExtendWithUntil(InnerIgnore(current_), until, false);
  const uint32_t take = ExtendWithUntil(Take(current_), until, true);
  const uint32_t looping = NewState(StateType::kNormal, current_);
  if (stage(current_).quantifier.greedy) {
    if (until != kNone) {
      const uint32_t copy = Copy(sink);
      AddEdge(looping, EdgeKind::kProceed, copy, And(True(), until));
      original_state_[sink] = copy;
    }
    AddEdge(looping, EdgeKind::kProceed, sink, until != kNone ? And(True(), Not(until)) : True());
    // The guard is "the loop could take it", so an `until` event (which the loop
    // cannot take, §3) passes: §4.1. Flink's createLooping guards with the bare
    // `where` here (but with the until-extended take in createTimesState), which
    // kills `c, a+ greedy until u, d` on `c a1 x a2(u) d` after the hand-over on
    // x; §4.1 decides (SemanticsTest S4_GreedyGuardLetsUntilEventsPass).
    UpdateWithGreedyCondition(sink, take);
  } else {
    AddEdge(looping, EdgeKind::kProceed, sink, True());
  }
  AddEdge(looping, EdgeKind::kTake, looping, take);
  AddStopStateToLooping(looping);
  if (ignore != kNone) {
    const uint32_t ignore_state = NewState(StateType::kNormal, current_);
    AddEdge(ignore_state, EdgeKind::kTake, looping, take);
    AddEdge(ignore_state, EdgeKind::kIgnore, ignore_state, ignore);
    AddEdge(looping, EdgeKind::kIgnore, ignore_state, ignore);
    AddStopStateToLooping(ignore_state);
  }
  return looping;
}

uint32_t NfaCompiler::ConvertStage(uint32_t sink) {
  const Quantifier& q = stage(current_).quantifier;
  const uint32_t min = q.min == 0 ? 1 : q.min;  // min 0 is `optional`
  uint32_t last;
  if (q.max == kUnboundedTimes) {
    const uint32_t loop_sink = CopyWithoutTransitiveNots(sink);
    const uint32_t looping = CreateLooping(loop_sink);
    if (loop_sink != sink && q.greedy) {
      // After a not_followed_by the loop hands over to a guard-free copy of the
      // sink, which CreateLooping made greedy; the bypass of an optional loop
      // still proceeds to `sink`. Without the negation both are one state, so
      // guard `sink` too (keeping an unguarded copy for the until path, §4.3):
      // otherwise a negation before a greedy loop would change whether the
      // optional tail completes on an event the loop could take (differential
      // test; SemanticsTest S4_GreedyGuardIsTheSameWithANegationBeforeTheLoop).
      const uint32_t until = Until(current_);
      if (until != kNone) original_state_[sink] = Copy(sink);
      UpdateWithGreedyCondition(sink, ExtendWithUntil(Take(current_), until, true));
    }
    last = CreateTimesState(looping, sink, min, min);
  } else if (q.max > 1 || min > 1) {
    last = CreateTimesState(sink, sink, min, q.max);
  } else {
    last = CreateSingletonState(sink, sink, Take(current_), OuterIgnore(current_), Optional(current_));
  }
  AddStopStates(last);
  return last;
}

// not_next: a state whose only way on is an event that does not match X (a PROCEED
// into the next stage, or an IGNORE into Final at the end, so the match completes
// on that event without it). not_followed_by at the end (needs `within`): a
// PENDING state that skips non-X events and completes when the window closes.
// not_followed_by in the middle is only guard edges (AddStopStates*).
uint32_t NfaCompiler::CreateNegationState(uint32_t sink) {
  const uint32_t x = Take(current_);
  const uint32_t stop = StopState(current_);
  const bool sink_is_final = states_[sink].type == StateType::kFinal;
  if (IsNotFollow(current_)) {
    if (!sink_is_final) return sink;
    const uint32_t pending = NewState(StateType::kPending, current_);
    AddEdge(pending, EdgeKind::kProceed, stop, x);
    AddEdge(pending, EdgeKind::kIgnore, pending, Not(x));
    return pending;
  }
  const uint32_t not_next = NewState(StateType::kNormal, current_);
  AddEdge(not_next, sink_is_final ? EdgeKind::kIgnore : EdgeKind::kProceed, sink, Not(x));
  AddEdge(not_next, EdgeKind::kProceed, stop, x);
  return not_next;
}

std::shared_ptr<const NfaProgram> NfaCompiler::Build() {
  uint32_t sink = NewState(StateType::kFinal, NfaProgram::kNoStage);
  for (current_ = static_cast<uint32_t>(pattern_->stages.size() - 1); current_ > 0; --current_) {
    sink = stage(current_).kind == StageKind::kPositive ? ConvertStage(sink) : CreateNegationState(sink);
    following_ = current_;
  }
  const uint32_t start = ConvertStage(sink);

  auto program = std::shared_ptr<NfaProgram>(new NfaProgram());
  program->pattern_ = pattern_;
  program->conds_ = std::move(conds_);
  program->start_state_ = start;
  for (const BuildState& s : states_) {
    program->states_.push_back({s.type, s.stage, static_cast<uint32_t>(program->edges_.size()),
                                static_cast<uint32_t>(s.edges.size())});
    for (NfaProgram::Edge edge : s.edges) {
      edge.source_stage = s.stage;
      program->edges_.push_back(edge);
    }
  }
  return program;
}

Result<std::shared_ptr<const NfaProgram>> NfaProgram::Compile(std::shared_ptr<const Pattern> pattern) {
  CHECK(pattern != nullptr, "Compile needs a pattern");
  RETURN_IF_ERROR(ValidatePattern(*pattern));
  return NfaCompiler(std::move(pattern)).Build();
}

bool NfaProgram::Evaluate(uint32_t cond, const Event& event, const MatchView& view,
                          int8_t* cache) const {
  const CondNode& node = conds_[cond];
  switch (node.op) {
    case Op::kTrue: return true;
    case Op::kNot: return !Evaluate(node.left, event, view, cache);
    case Op::kAnd:
      return Evaluate(node.left, event, view, cache) && Evaluate(node.right, event, view, cache);
    case Op::kWhere:
    case Op::kUntil: {
      const size_t slot = size_t{node.stage} * 2 + (node.op == Op::kUntil ? 1 : 0);
      if (cache[slot] < 0) {
        const Stage& s = pattern_->stages[node.stage];
        const Condition& c = node.op == Op::kWhere ? *s.where : *s.until;
        cache[slot] = c.Matches(event, view) ? 1 : 0;
      }
      return cache[slot] == 1;
    }
  }
  return false;
}

std::string NfaProgram::DebugString() const {
  static constexpr const char* kTypes[] = {"normal", "final", "stop", "pending"};
  static constexpr const char* kKinds[] = {"take", "ignore", "proceed"};
  std::string out;
  for (size_t i = 0; i < states_.size(); ++i) {
    const State& s = states_[i];
    out += std::to_string(i) + (i == start_state_ ? "*" : "") + " " +
           kTypes[static_cast<int>(s.type)] + " stage=" + std::to_string(s.stage) + ":";
    for (uint32_t e = s.first_edge; e < s.first_edge + s.edge_count; ++e) {
      out += std::string(" ") + kKinds[static_cast<int>(edges_[e].kind)] + "->" +
             std::to_string(edges_[e].target);
    }
    out += "\n";
  }
  return out;
}

}  // namespace cep
