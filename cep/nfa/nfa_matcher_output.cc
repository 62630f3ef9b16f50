// What NfaMatcher hands out and when: emission order (CEP_SEMANTICS.md §8), the
// hold-back and pruning of after-match skip strategies (§9), and time advance
// (§5 timeouts, §6 not_followed_by at the end). Mirrors Flink's
// NFA.processMatchesAccordingToSkipStrategy and NFA.advanceTime.
#include <algorithm>
#include <memory>
#include <unordered_set>

#include "cep/nfa/nfa_matcher.h"

namespace cep {

using internal::SharedBuffer;
using internal::StartsBefore;

namespace {

bool ByStart(const internal::CompletedRun& a, const internal::CompletedRun& b) {
  return StartsBefore(a, b);
}

// An event position (ts, seq), as the skip table of §9 compares them.
struct Position {
  EventTime ts;
  uint64_t seq;
};

}  // namespace

void NfaMatcher::Emit(const Completed& match, Match::Kind kind, std::vector<Match>& out) {
  out.push_back(Materialize(match.node, kind, match.ts));
  buffer_.Release(match.node);
  if (kind == Match::Kind::kMatch) {
    ++stats_.matches;
  } else {
    ++stats_.timeouts;
  }
}

Match NfaMatcher::Materialize(uint32_t node, Match::Kind kind, EventTime ts) const {
  Match match;
  match.kind = kind;
  match.ts = ts;
  match.stages.resize(program_->stage_count());
  // The path runs newest to oldest: size each stage, then fill it from the back
  // (a stage's vector size doubles as its fill cursor).
  for (uint32_t n = node; n != SharedBuffer::kNil; n = buffer_.node(n).parent) {
    match.stages[buffer_.node(n).stage].emplace_back();
  }
  size_t inline_cursor[16];
  std::unique_ptr<size_t[]> heap_cursor;
  size_t* fill = inline_cursor;
  if (match.stages.size() > 16) {
    heap_cursor = std::make_unique<size_t[]>(match.stages.size());
    fill = heap_cursor.get();
  }
  for (size_t s = 0; s < match.stages.size(); ++s) fill[s] = match.stages[s].size();
  for (uint32_t n = node; n != SharedBuffer::kNil; n = buffer_.node(n).parent) {
    const StageIndex s = buffer_.node(n).stage;
    match.stages[s][--fill[s]] = buffer_.shared_event_of(n);
  }
  return match;
}

std::vector<NfaMatcher::PartialMatch> NfaMatcher::PartialMatches() const {
  std::vector<const Run*> runs;
  runs.reserve(partials_.size());
  for (const Run& run : partials_) {
    if (run.node != SharedBuffer::kNil) runs.push_back(&run);
  }
  std::stable_sort(runs.begin(), runs.end(),
                   [](const Run* a, const Run* b) { return StartsBefore(*a, *b); });
  // A path is identified by its last node (shared_buffer.h): equal nodes, equal events.
  std::unordered_set<uint32_t> seen;
  std::vector<PartialMatch> out;
  for (const Run* run : runs) {
    if (!seen.insert(run->node).second) continue;
    Match path = Materialize(run->node, Match::Kind::kMatch, run->start_ts);
    out.push_back({run->start_ts, run->start_seq, std::move(path.stages)});
  }
  return out;
}

// no_skip emits everything at once, in order of first event (Flink's doProcess);
// other strategies queue completed matches and release them in ReleaseHeld.
void NfaMatcher::EmitReady(std::vector<Completed>& ready, std::vector<Match>& out) {
  std::stable_sort(ready.begin(), ready.end(), ByStart);
  if (program_->pattern().skip.strategy == SkipStrategy::kNoSkip) {
    for (const Completed& match : ready) Emit(match, Match::Kind::kMatch, out);
    ready.clear();
    return;
  }
  const size_t old_size = held_.size();
  held_.insert(held_.end(), ready.begin(), ready.end());
  ready.clear();
  std::inplace_merge(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(old_size), held_.end(),
                     ByStart);
  ReleaseHeld(out);
}

// §8 hold-back: the earliest completed match is released unless a live run
// started strictly before it; each released match prunes per §9 first.
void NfaMatcher::ReleaseHeld(std::vector<Match>& out) {
  while (!held_.empty()) {
    const Completed match = held_.front();
    bool earlier_run = false;
    for (const Run& run : partials_) {
      if (StartsBefore(run, match)) {
        earlier_run = true;
        break;
      }
    }
    if (earlier_run) return;
    held_.erase(held_.begin());
    Prune(match);
    Emit(match, Match::Kind::kMatch, out);
  }
}

// §9: removes the runs and held matches whose first event is at or before (or
// strictly before) the strategy's position in `match`.
void NfaMatcher::Prune(const Completed& match) {
  const AfterMatchSkip& skip = program_->pattern().skip;
  if (skip.strategy == SkipStrategy::kNoSkip) return;
  std::optional<Position> min_pos, max_pos, stage_first, stage_last;
  for (uint32_t n = match.node; n != SharedBuffer::kNil; n = buffer_.node(n).parent) {
    const Event& e = buffer_.event_of(n);
    const Position pos{e.ts(), e.seq()};
    if (!min_pos || StartsBefore(pos.ts, pos.seq, min_pos->ts, min_pos->seq)) min_pos = pos;
    if (!max_pos || StartsBefore(max_pos->ts, max_pos->seq, pos.ts, pos.seq)) max_pos = pos;
    if (buffer_.node(n).stage == skip.stage) {
      stage_first = pos;  // the walk runs newest to oldest
      if (!stage_last) stage_last = pos;
    }
  }
  std::optional<Position> limit;
  bool inclusive = false;
  switch (skip.strategy) {
    case SkipStrategy::kNoSkip: return;
    case SkipStrategy::kSkipToNext: limit = min_pos, inclusive = true; break;
    case SkipStrategy::kSkipPastLastEvent: limit = max_pos, inclusive = true; break;
    case SkipStrategy::kSkipToFirst: limit = stage_first; break;
    case SkipStrategy::kSkipToLast: limit = stage_last; break;
  }
  if (!limit) return;  // the stage took no event: nothing is pruned
  auto pruned = [&](EventTime ts, uint64_t seq) {
    return StartsBefore(ts, seq, limit->ts, limit->seq) ||
           (inclusive && ts == limit->ts && seq == limit->seq);
  };
  auto prune_list = [&](auto& list) {
    size_t kept = 0;
    for (auto& item : list) {
      if (pruned(item.start_ts, item.start_seq)) {
        buffer_.Release(item.node);
        ++stats_.pruned;
      } else {
        list[kept++] = item;
      }
    }
    list.resize(kept);
  };
  prune_list(partials_);
  prune_list(held_);
}

void NfaMatcher::AdvanceTime(EventTime t, std::vector<Match>& out) {
  const std::optional<Duration> window = program_->window();
  if (!window.has_value() || partials_.empty()) return;
  std::vector<Completed> closed;    // not_followed_by at the end: matches (§6)
  std::vector<Completed> timeouts;  // everything else: timeouts (§5)
  size_t kept = 0;
  for (const Run& run : partials_) {
    const EventTime deadline = run.start_ts + *window;
    if (t < deadline) {
      partials_[kept++] = run;
      continue;
    }
    const Completed done{run.node, run.start_ts, run.start_seq, deadline};
    if (program_->states()[run.state].type == NfaProgram::StateType::kPending) {
      closed.push_back(done);
    } else if (program_->pattern().emit_timeouts) {
      timeouts.push_back(done);
    } else {
      buffer_.Release(run.node);
    }
  }
  if (kept == partials_.size()) return;
  partials_.resize(kept);
  // Windows-closed matches go through the hold-back queue whatever the strategy,
  // as in Flink's advanceTime; a run that timed out may also release held ones.
  std::stable_sort(closed.begin(), closed.end(), ByStart);
  const size_t old_size = held_.size();
  held_.insert(held_.end(), closed.begin(), closed.end());
  std::inplace_merge(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(old_size), held_.end(),
                     ByStart);
  ReleaseHeld(out);
  std::stable_sort(timeouts.begin(), timeouts.end(), ByStart);
  for (const Completed& timeout : timeouts) Emit(timeout, Match::Kind::kTimeout, out);
}

}  // namespace cep
