#include "tests/cep/nfa/reference_matcher.h"

#include <algorithm>
#include <utility>

#include "cep/base/check.h"

namespace cep {
namespace {

using EventPtr = ReferenceMatcher::EventPtr;

// Conditions read the events the partial match accepted *before* the event
// being tested (a loop's condition sees the loop's events so far).
class PartialView final : public MatchView {
 public:
  explicit PartialView(const std::vector<std::vector<EventPtr>>& stages) : stages_(stages) {}
  void ForEachEvent(StageIndex stage, FunctionRef<void(const Event&)> fn) const override {
    CHECK(stage < stages_.size(), "stage out of range");
    for (const EventPtr& event : stages_[stage]) fn(*event);
  }

 private:
  const std::vector<std::vector<EventPtr>>& stages_;
};

bool Holds(const std::shared_ptr<const Condition>& condition, const Event& event,
           const ReferenceMatcher::Partial& partial) {
  if (condition == nullptr) return true;  // null: every event matches
  const PartialView view(partial.stages);
  return condition->Matches(event, view);
}

std::vector<const Event*> Flatten(const Match& match) {
  std::vector<const Event*> events;
  for (const auto& stage : match.stages) {
    for (const EventPtr& event : stage) events.push_back(event.get());
  }
  return events;
}

const Event& FirstEvent(const Match& match) {
  const std::vector<const Event*> events = Flatten(match);
  CHECK(!events.empty(), "a match holds at least one event");
  return *events.front();
}

bool SameEvent(const Event& a, const Event& b) { return !EventBefore(a, b) && !EventBefore(b, a); }

}  // namespace

bool EventBefore(const Event& a, const Event& b) {
  if (a.ts() != b.ts()) return a.ts() < b.ts();
  return a.seq() < b.seq();
}

bool MatchEmittedBefore(const Match& a, const Match& b) {
  const std::vector<const Event*> ea = Flatten(a);
  const std::vector<const Event*> eb = Flatten(b);
  CHECK(!ea.empty() && !eb.empty(), "a match holds at least one event");
  // §8: by first event.
  if (!SameEvent(*ea.front(), *eb.front())) return EventBefore(*ea.front(), *eb.front());
  // Ties (no order defined by §8): fewer events, then event by event, then kind.
  if (ea.size() != eb.size()) return ea.size() < eb.size();
  for (size_t i = 0; i < ea.size(); ++i) {
    if (!SameEvent(*ea[i], *eb[i])) return EventBefore(*ea[i], *eb[i]);
  }
  // Same events: the one whose earlier stages hold fewer events first.
  for (size_t s = 0; s < a.stages.size() && s < b.stages.size(); ++s) {
    if (a.stages[s].size() != b.stages[s].size()) return a.stages[s].size() < b.stages[s].size();
  }
  return a.kind == Match::Kind::kMatch && b.kind == Match::Kind::kTimeout;
}

ReferenceMatcher::ReferenceMatcher(std::shared_ptr<const Pattern> pattern)
    : pattern_(std::move(pattern)) {
  CHECK(pattern_ != nullptr, "a matcher needs a pattern");
  const std::vector<Stage>& stages = pattern_->stages;
  CHECK(!stages.empty(), "a pattern has stages");
  CHECK(stages.front().kind == StageKind::kPositive, "the first stage is positive");
  for (size_t i = 0; i < stages.size(); ++i) {
    const Quantifier& q = stages[i].quantifier;
    if (stages[i].kind != StageKind::kPositive) {
      CHECK(!stages[i - 1].quantifier.optional || stages[i - 1].kind != StageKind::kPositive,
            "a negation cannot directly follow an optional stage (§6)");
      continue;
    }
    CHECK(q.min >= 1 && q.min <= q.max, "quantifier bounds: 1 <= min <= max");
    CHECK(stages[i].until == nullptr || q.looping(), "until is for loops only");
  }
  if (stages.back().kind == StageKind::kNotFollowedBy) {
    CHECK(pattern_->within.has_value(), "not_followed_by at the end requires within (§6)");
  }
  start_.stages.resize(stages.size());
  start_.position = Entry(0, -1);
}

// ---------------------------------------------------------------------------
// Conditions

bool ReferenceMatcher::Where(size_t stage, const Event& event, const Partial& partial) const {
  return Holds(pattern_->stages[stage].where, event, partial);
}

bool ReferenceMatcher::Until(size_t stage, const Event& event, const Partial& partial) const {
  const auto& until = pattern_->stages[stage].until;
  return until != nullptr && Holds(until, event, partial);
}

// §3 until: a loop cannot take an event that satisfies its `until` condition.
bool ReferenceMatcher::TakeCondition(size_t stage, const Event& event,
                                     const Partial& partial) const {
  return Where(stage, event, partial) && !Until(stage, event, partial);
}

// §4: greedy only matters for a loop with a choice of lengths (times N..N has
// none). On the last stage it is harmless: the place after it is the end,
// which has nothing left to take or skip (§4.4).
bool ReferenceMatcher::EffectiveGreedy(size_t stage) const {
  const Quantifier& q = pattern_->stages[stage].quantifier;
  return q.greedy && q.looping() && q.min != q.max;
}

// ---------------------------------------------------------------------------
// Places

// The place right after everything before `stage` is done. Negations are
// places of their own (not_next, not_followed_by at the end) or guards that
// travel with the partial (not_followed_by in the middle: NegationFires).
ReferenceMatcher::Position ReferenceMatcher::Entry(size_t stage, int greedy_guard) const {
  Position position;
  position.greedy_guard = greedy_guard;
  position.stage = static_cast<StageIndex>(stage);
  const std::vector<Stage>& stages = pattern_->stages;
  if (stage == stages.size()) {
    // §4.4: the end has nothing to take or skip, so a greedy loop on the last
    // stage guards nothing: matches are emitted eagerly.
    position.place = Place::kDone;
    position.greedy_guard = -1;
  } else if (stages[stage].kind == StageKind::kNotNext) {
    position.place = Place::kNotNext;
  } else if (stages[stage].kind == StageKind::kNotFollowedBy) {
    if (stage + 1 == stages.size()) {
      position.place = Place::kPending;
    } else {
      return Entry(stage + 1, greedy_guard);
    }
  } else {
    position.place = Place::kStage;
  }
  return position;
}

// §3 hand-over rule: a stage passes control on only right after one of its own
// takes (k >= min), or, for an optional stage that took nothing, before it
// skipped any event while waiting (the branch that bypassed it exists already).
bool ReferenceMatcher::CanHandOver(const Position& position) const {
  if (position.place != Place::kStage || position.skipped) return false;
  const Quantifier& q = pattern_->stages[position.stage].quantifier;
  if (position.taken == 0) return q.optional;  // §3 optional: bypass
  return position.taken >= q.min;
}

// Where control goes on hand-over. §4.1: after a greedy loop, the next place is
// guarded (it does nothing with an event the loop could take), except when the
// hand-over happens on the loop's `until` event (§4.3: the loop is closed, and
// later loop-matching events are skipped normally).
ReferenceMatcher::Position ReferenceMatcher::HandOverTarget(const Position& position,
                                                            const Event& event,
                                                            const Partial& partial) const {
  const size_t s = position.stage;
  const bool guarded = EffectiveGreedy(s) && !Until(s, event, partial);
  return Entry(s + 1, guarded ? static_cast<int>(s) : -1);
}

// §2 contiguity (taken == 0: the stage's own next / followed_by /
// followed_by_any, measured from the last accepted event because skipped
// optional stages took nothing) and §3 inner contiguity (taken > 0:
// consecutive / relaxed / allow_combinations, and an `until` event can never be
// skipped inside the loop).
bool ReferenceMatcher::CanIgnore(const Position& position, const Event& event,
                                 const Partial& partial) const {
  const size_t s = position.stage;
  const Stage& stage = pattern_->stages[s];
  if (position.taken == 0) {
    switch (stage.contiguity) {
      case Contiguity::kStrict: return false;
      case Contiguity::kRelaxed: return !Where(s, event, partial);  // §2: never skip what it could take
      case Contiguity::kNonDeterministic: return true;
    }
    return false;
  }
  switch (stage.quantifier.inner) {
    case Contiguity::kStrict: return false;
    case Contiguity::kRelaxed: return !Where(s, event, partial) && !Until(s, event, partial);
    case Contiguity::kNonDeterministic: return !Until(s, event, partial);
  }
  return false;
}

// After skipping an event: a loop (or an optional stage waiting for its first
// event) can no longer hand over until it takes again (§3). A mandatory stage
// waiting for its first event stays where it was (keeping any greedy guard).
ReferenceMatcher::Position ReferenceMatcher::IgnoreTarget(const Position& position) const {
  const Quantifier& q = pattern_->stages[position.stage].quantifier;
  if (position.taken == 0 && !q.optional) return position;
  Position next = position;
  next.skipped = true;
  next.greedy_guard = -1;
  return next;
}

// ---------------------------------------------------------------------------
// One event

// §6 not_followed_by: X kills the partial if it arrives after A's last event
// and before B's first event, where A is the positive stage right before the
// negation. "A is the last stage that accepted something" captures all the
// cases: inside A's loop after its first take ("every loop state carries the
// guard"), while waiting for B, and while optional stages after B are bypassed
// (the constraint extends). Once any later stage took an event, X no longer
// matters.
bool ReferenceMatcher::NegationFires(const Partial& partial, const Event& event) const {
  if (partial.last_stage < 0) return false;
  const std::vector<Stage>& stages = pattern_->stages;
  for (size_t n = static_cast<size_t>(partial.last_stage) + 1; n < stages.size(); ++n) {
    if (stages[n].kind == StageKind::kPositive) break;
    if (stages[n].kind == StageKind::kNotFollowedBy && Where(n, event, partial)) return true;
  }
  return false;
}

ReferenceMatcher::StepResult ReferenceMatcher::Step(const Partial& partial, const EventPtr& event,
                                                    bool is_start) const {
  StepResult result;
  const bool fired = !is_start && NegationFires(partial, *event);
  Explore(partial, partial.position, event, is_start, result);
  if (fired || result.killed) {
    // §6: when a negation fires, all branches the partial would spawn on this
    // event are discarded. A match the same event *completes* still stands:
    // Flink's NFA.doProcess adds final states to the result before it looks at
    // whether a stop state was reached, and discards only the states it would
    // retain. (E.g. `a+, not_followed_by x, followed_by_any b` where one event
    // is both an x and a b: the b is B's first event, not "before" it.)
    result.killed = true;
    result.next.clear();
  }
  return result;
}

// Follows every choice the partial has at `position` for `event`: take, skip,
// or hand over (which does not consume the event: the next place sees it too).
void ReferenceMatcher::Explore(const Partial& partial, const Position& position,
                               const EventPtr& event, bool is_start, StepResult& result) const {
  // §4.1: right after a greedy loop, nothing may take, skip or pass on an event
  // the loop could take.
  if (position.greedy_guard >= 0 &&
      TakeCondition(static_cast<size_t>(position.greedy_guard), *event, partial)) {
    return;
  }
  switch (position.place) {
    case Place::kDone:
      // Reached without taking this event: nothing is emitted (§1: a match is
      // emitted when the event that completes it is *taken*).
      return;
    case Place::kNotNext: {
      // §6 not_next: the single next event is inspected.
      if (Where(position.stage, *event, partial)) {
        result.killed = true;
        return;
      }
      const Position after = Entry(position.stage + 1u, -1);
      if (after.place == Place::kDone) {
        // §6 not_next at the end: emitted on this event, which is not part of it.
        if (!is_start) {
          Partial done = partial;
          done.position = after;
          result.completed.push_back(std::move(done));
        }
        return;
      }
      Explore(partial, after, event, is_start, result);
      return;
    }
    case Place::kPending:
      // §6 not_followed_by at the end: an X kills (NegationFires); anything
      // else is skipped while the window runs.
      if (Where(position.stage, *event, partial)) {
        result.killed = true;
        return;
      }
      if (!is_start) {
        Partial waiting = partial;
        waiting.position = position;
        result.next.push_back(std::move(waiting));
      }
      return;
    case Place::kStage:
      break;
  }
  const size_t s = position.stage;
  const Quantifier& q = pattern_->stages[s].quantifier;
  const bool unbounded = q.max == kUnboundedTimes;
  if ((unbounded || position.taken < q.max) && TakeCondition(s, *event, partial)) {
    AddTake(partial, position, event, result);
  }
  // §1/§2: the start state never skips: every event is tried as a first event
  // anyway, so a skip there would only duplicate the start state.
  if (!is_start && CanIgnore(position, *event, partial)) {
    Partial skipping = partial;
    skipping.position = IgnoreTarget(position);
    result.next.push_back(std::move(skipping));
  }
  if (CanHandOver(position)) {
    Explore(partial, HandOverTarget(position, *event, partial), event, is_start, result);
  }
}

// A take: the event joins stage s. The branch lives on (a loop may take more,
// or later stages follow) and, if everything after it can be bypassed right
// now, it is also emitted at once (§3 eager per-length emission, §6 optional
// tail after a negation).
void ReferenceMatcher::AddTake(const Partial& partial, const Position& position,
                               const EventPtr& event, StepResult& result) const {
  const size_t s = position.stage;
  const Quantifier& q = pattern_->stages[s].quantifier;
  Partial taken = partial;
  taken.stages[s].push_back(event);
  if (taken.first == nullptr) taken.first = event;
  taken.last_stage = static_cast<int>(s);
  const uint32_t count = position.taken + 1;
  if (q.max != kUnboundedTimes && count == q.max) {
    // The stage is full: control is at the next place (guarded after a greedy
    // times N..M, §4.3).
    taken.position = Entry(s + 1, EffectiveGreedy(s) ? static_cast<int>(s) : -1);
  } else {
    taken.position = Position{Place::kStage, static_cast<StageIndex>(s), count, false, -1};
  }
  if (taken.position.place == Place::kDone) {
    result.completed.push_back(std::move(taken));
    return;
  }
  if (CanComplete(taken.position, *event, partial)) {
    Partial done = taken;
    done.position = Entry(pattern_->stages.size(), -1);
    result.completed.push_back(std::move(done));
  }
  result.next.push_back(std::move(taken));
}

// Can `position` reach the end by hand-overs alone, judged on the event just
// taken? (Flink evaluates these pass-through conditions on that event: a
// greedy guard or a not_next hit blocks the way.)
bool ReferenceMatcher::CanComplete(const Position& position, const Event& event,
                                   const Partial& partial) const {
  if (position.greedy_guard >= 0 &&
      TakeCondition(static_cast<size_t>(position.greedy_guard), event, partial)) {
    return false;
  }
  switch (position.place) {
    case Place::kDone:
      return true;
    case Place::kPending:
      return false;  // completes only when the window closes (§6)
    case Place::kNotNext: {
      if (Where(position.stage, event, partial)) return false;
      const Position after = Entry(position.stage + 1u, -1);
      // A not_next at the end needs the *next* event (§6).
      return after.place != Place::kDone && CanComplete(after, event, partial);
    }
    case Place::kStage:
      return CanHandOver(position) &&
             CanComplete(HandOverTarget(position, event, partial), event, partial);
  }
  return false;
}

// ---------------------------------------------------------------------------
// Time, emission and skipping

Match ReferenceMatcher::ToMatch(const Partial& partial, Match::Kind kind, EventTime ts) const {
  Match match;
  match.kind = kind;
  match.ts = ts;
  match.stages = partial.stages;
  return match;
}

void ReferenceMatcher::OnEvent(std::shared_ptr<const Event> event, std::vector<Match>& out) {
  CHECK(event != nullptr, "an event");
  std::vector<Match> ready;
  // §5/§7: time advances to the event's timestamp before the event is applied.
  AdvanceTimeInto(event->ts(), ready);
  out.insert(out.end(), ready.begin(), ready.end());

  std::vector<Partial> next;
  std::vector<Match> completed;
  auto absorb = [&](StepResult result) {
    for (Partial& p : result.next) next.push_back(std::move(p));
    for (const Partial& p : result.completed) {
      completed.push_back(ToMatch(p, Match::Kind::kMatch, event->ts()));
    }
  };
  // §1: the event is offered to every partial match and to the start state.
  for (const Partial& partial : partials_) absorb(Step(partial, event, /*is_start=*/false));
  absorb(Step(start_, event, /*is_start=*/true));
  partials_ = std::move(next);

  ready.clear();
  HandleCompleted(std::move(completed), ready);
  std::sort(ready.begin(), ready.end(), MatchEmittedBefore);
  out.insert(out.end(), ready.begin(), ready.end());
}

void ReferenceMatcher::AdvanceTime(EventTime t, std::vector<Match>& out) {
  std::vector<Match> ready;
  AdvanceTimeInto(t, ready);
  out.insert(out.end(), ready.begin(), ready.end());
}

// §5: a partial is discarded once now - ts(first) >= within, reported (with
// emit_timeouts) stamped first + within. §6: a partial waiting on a
// not_followed_by at the end becomes a match then instead. The start state
// never times out.
//
// Order: the matches of one time advance (pending ones, and held ones a dead
// partial released), by first event, then its timeouts, by first event. Flink's
// NFA.advanceTime returns the two separately and its CepOperator emits the
// matches first (timeouts go to the timed-out side output afterwards); §8's
// first-event order applies within each.
void ReferenceMatcher::AdvanceTimeInto(EventTime t, std::vector<Match>& ready) {
  if (!pattern_->within.has_value()) return;
  const Duration within = *pattern_->within;
  std::vector<Partial> alive;
  std::vector<Match> completed;
  std::vector<Match> timeouts;
  for (Partial& partial : partials_) {
    const EventTime deadline = partial.first->ts() + within;  // saturating
    if (t < deadline) {
      alive.push_back(std::move(partial));
    } else if (partial.position.place == Place::kPending) {
      completed.push_back(ToMatch(partial, Match::Kind::kMatch, deadline));
    } else if (pattern_->emit_timeouts) {
      timeouts.push_back(ToMatch(partial, Match::Kind::kTimeout, deadline));
    }
  }
  partials_ = std::move(alive);
  // Pending matches go through the skip strategy; a partial that died may also
  // release matches held back behind it (§8).
  std::vector<Match> matches;
  HandleCompleted(std::move(completed), matches);
  std::sort(matches.begin(), matches.end(), MatchEmittedBefore);
  std::sort(timeouts.begin(), timeouts.end(), MatchEmittedBefore);
  ready.insert(ready.end(), matches.begin(), matches.end());
  ready.insert(ready.end(), timeouts.begin(), timeouts.end());
}

void ReferenceMatcher::HandleCompleted(std::vector<Match> completed, std::vector<Match>& ready) {
  if (pattern_->skip.strategy == SkipStrategy::kNoSkip) {
    ready.insert(ready.end(), completed.begin(), completed.end());
    return;
  }
  held_.insert(held_.end(), completed.begin(), completed.end());
  ReleaseHeld(ready);
}

// §8 hold-back: with a skip strategy, the earliest completed match is released
// only when no partial match that started strictly earlier is alive; each
// release prunes per §9 before the next one is considered.
void ReferenceMatcher::ReleaseHeld(std::vector<Match>& ready) {
  while (!held_.empty()) {
    auto earliest = std::min_element(held_.begin(), held_.end(), MatchEmittedBefore);
    const Event& first = FirstEvent(*earliest);
    const bool blocked = std::any_of(partials_.begin(), partials_.end(), [&](const Partial& p) {
      return EventBefore(*p.first, first);
    });
    if (blocked) return;
    Match released = std::move(*earliest);
    held_.erase(earliest);
    Prune(released);
    ready.push_back(std::move(released));
  }
}

// §9: after emitting `released`, remove the partial matches and held matches
// whose first event is at or before (or strictly before) the strategy's event.
void ReferenceMatcher::Prune(const Match& released) {
  const std::vector<const Event*> events = Flatten(released);
  const Event* bound = nullptr;
  bool inclusive = true;
  const AfterMatchSkip& skip = pattern_->skip;
  switch (skip.strategy) {
    case SkipStrategy::kNoSkip:
      return;
    case SkipStrategy::kSkipToNext:
      bound = events.front();
      break;
    case SkipStrategy::kSkipPastLastEvent:
      bound = *std::max_element(events.begin(), events.end(),
                                [](const Event* a, const Event* b) { return EventBefore(*a, *b); });
      break;
    case SkipStrategy::kSkipToFirst:
    case SkipStrategy::kSkipToLast: {
      CHECK(skip.stage < released.stages.size(), "skip stage in range");
      const auto& stage_events = released.stages[skip.stage];
      if (stage_events.empty()) return;  // §9: STAGE has no events in M: nothing is pruned
      bound = skip.strategy == SkipStrategy::kSkipToFirst ? stage_events.front().get()
                                                          : stage_events.back().get();
      inclusive = false;
      break;
    }
  }
  auto pruned = [&](const Event& first) {
    return EventBefore(first, *bound) || (inclusive && SameEvent(first, *bound));
  };
  std::erase_if(partials_, [&](const Partial& p) { return pruned(*p.first); });
  std::erase_if(held_, [&](const Match& m) { return pruned(FirstEvent(m)); });
}

}  // namespace cep
