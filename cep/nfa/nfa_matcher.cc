// The per-event step of NfaMatcher: Flink's NFA.doProcess / computeNextStates
// (flink-cep org.apache.flink.cep.nfa.NFA), over our SharedBuffer. Emission,
// skip strategies and timeouts are in nfa_matcher_output.cc.
#include <algorithm>
#include <utility>

#include "cep/nfa/nfa_matcher.h"

namespace cep {

using internal::SharedBuffer;
using StateType = NfaProgram::StateType;
using EdgeKind = NfaProgram::EdgeKind;

namespace {
thread_local internal::StepScratch tls_scratch;

std::shared_ptr<const NfaProgram> CompileOrDie(std::shared_ptr<const Pattern> pattern) {
  Result<std::shared_ptr<const NfaProgram>> program = NfaProgram::Compile(std::move(pattern));
  CHECK(program.ok(), "NfaMatcher needs a valid pattern (see ValidatePattern)");
  return std::move(program).value();
}
}  // namespace

NfaMatcher::NfaMatcher(std::shared_ptr<const Pattern> pattern)
    : NfaMatcher(CompileOrDie(std::move(pattern))) {}

NfaMatcher::NfaMatcher(std::shared_ptr<const NfaProgram> program, NfaOptions options)
    : program_(std::move(program)), options_(options) {
  CHECK(program_ != nullptr, "NfaMatcher needs a program");
}

void NfaMatcher::OnEvent(std::shared_ptr<const Event> event, std::vector<Match>& out) {
  CHECK(event != nullptr, "OnEvent needs an event");
  AdvanceTime(event->ts(), out);

  internal::StepScratch& scratch = tls_scratch;
  scratch.next.clear();
  scratch.ready.clear();
  if (scratch.cache.size() < program_->stage_count() * 2) scratch.cache.resize(program_->stage_count() * 2);
  for (const Run& run : partials_) Step(run, false, event, scratch);
  // The start state never dies (§1): every event is also tried as a first event.
  const Run start{program_->start_state(), SharedBuffer::kNil, EventTime(), 0};
  Step(start, true, event, scratch);
  // Copied, not swapped: a matcher keeps capacity for its own runs only.
  partials_.assign(scratch.next.data(), scratch.next.data() + scratch.next.size());

  EnforceCap();
  EmitReady(scratch.ready, out);
  if (current_event_ != SharedBuffer::kNil) {
    buffer_.UnpinEvent(current_event_);
    current_event_ = SharedBuffer::kNil;
  }
}

// One run offered one event. First the decision graph: every TAKE and IGNORE edge
// whose condition holds, reached through PROCEED (epsilon) edges whose conditions
// hold on this event. Then one new run per edge. A TAKE out of a STOP state means a
// negation saw its event: every run this step would keep is dropped (§6), though
// matches it completed stand, as in Flink.
void NfaMatcher::Step(const Run& run, bool is_start, const std::shared_ptr<const Event>& event,
                      internal::StepScratch& scratch) {
  const NfaProgram& program = *program_;
  const internal::PathView view(buffer_, run.node);
  std::fill_n(scratch.cache.begin(), program.stage_count() * 2, int8_t{-1});
  scratch.edges.clear();
  scratch.stack.assign(1, run.state);
  bool negated = false;
  while (!scratch.stack.empty()) {
    const NfaProgram::State& state = program.states()[scratch.stack.back()];
    scratch.stack.pop_back();
    for (uint32_t e = state.first_edge; e < state.first_edge + state.edge_count; ++e) {
      const NfaProgram::Edge& edge = program.edges()[e];
      // IGNOREs out of the start state are dropped below: do not evaluate them.
      if (is_start && edge.kind == EdgeKind::kIgnore) continue;
      if (!program.Evaluate(edge.cond, *event, view, scratch.cache.data())) continue;
      if (edge.kind == EdgeKind::kProceed) {
        scratch.stack.push_back(edge.target);
      } else if (state.type == StateType::kStop) {
        negated = true;
      } else {
        scratch.edges.push_back(e);
      }
    }
  }

  const size_t kept_before = scratch.next.size();
  for (uint32_t e : scratch.edges) {
    const NfaProgram::Edge& edge = program.edges()[e];
    if (edge.kind == EdgeKind::kIgnore) {
      // Skipping an event from the start state is just the start state again.
      AddRunOrMatch(edge.target, run.node, run, event->ts(), scratch);
      continue;
    }
    if (current_event_ == SharedBuffer::kNil) current_event_ = buffer_.AddEvent(event);
    const uint32_t node =
        buffer_.AddNode(current_event_, run.node, static_cast<StageIndex>(edge.source_stage));
    const Run origin = is_start ? Run{run.state, run.node, event->ts(), event->seq()} : run;
    AddRunOrMatch(edge.target, node, origin, event->ts(), scratch);
    // Everything after the take may be optional: the match completes now (§3, §6).
    if (program.states()[edge.target].type != StateType::kFinal &&
        ReachesFinalByProceed(edge.target, *event, view, scratch)) {
      buffer_.Retain(node);
      scratch.ready.push_back({node, origin.start_ts, origin.start_seq, event->ts()});
    }
  }
  if (negated) {
    for (size_t i = kept_before; i < scratch.next.size(); ++i) buffer_.Release(scratch.next[i].node);
    scratch.next.resize(kept_before);
  }
  if (!is_start) buffer_.Release(run.node);
}

void NfaMatcher::AddRunOrMatch(uint32_t state, uint32_t node, const Run& origin, EventTime now,
                               internal::StepScratch& scratch) {
  buffer_.Retain(node);
  if (program_->states()[state].type == StateType::kFinal) {
    scratch.ready.push_back({node, origin.start_ts, origin.start_seq, now});
  } else {
    scratch.next.push_back({state, node, origin.start_ts, origin.start_seq});
  }
}

// Flink's findFinalStateAfterProceed: can `state` reach Final through PROCEED edges
// whose conditions hold on the event just taken?
bool NfaMatcher::ReachesFinalByProceed(uint32_t state, const Event& event, const MatchView& view,
                                       internal::StepScratch& scratch) const {
  const NfaProgram& program = *program_;
  scratch.proceed_stack.assign(1, state);
  while (!scratch.proceed_stack.empty()) {
    const NfaProgram::State& s = program.states()[scratch.proceed_stack.back()];
    scratch.proceed_stack.pop_back();
    for (uint32_t e = s.first_edge; e < s.first_edge + s.edge_count; ++e) {
      const NfaProgram::Edge& edge = program.edges()[e];
      if (edge.kind != EdgeKind::kProceed) continue;
      if (!program.Evaluate(edge.cond, event, view, scratch.cache.data())) continue;
      if (program.states()[edge.target].type == StateType::kFinal) return true;
      scratch.proceed_stack.push_back(edge.target);
    }
  }
  return false;
}

// Over the cap, the oldest-started runs go first (NfaOptions).
void NfaMatcher::EnforceCap() {
  if (partials_.size() <= options_.max_partial_matches) return;
  std::stable_sort(partials_.begin(), partials_.end(),
                   [](const Run& a, const Run& b) { return internal::StartsBefore(a, b); });
  const size_t drop = partials_.size() - options_.max_partial_matches;
  for (size_t i = 0; i < drop; ++i) buffer_.Release(partials_[i].node);
  partials_.erase(partials_.begin(), partials_.begin() + static_cast<std::ptrdiff_t>(drop));
  stats_.dropped_partial_matches += drop;
}

size_t NfaMatcher::ByteSize() const {
  return sizeof(*this) + partials_.capacity() * sizeof(Run) + held_.capacity() * sizeof(Completed) +
         buffer_.ByteSize();
}

}  // namespace cep
