#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "cep/base/time.h"
#include "cep/event.h"
#include "cep/nfa/pattern.h"

namespace cep {

// The reference answer for the NFA (STYLE.md §8): slow and obviously correct.
// It simulates CEP_SEMANTICS.md branch by branch: every partial match is a plain
// value holding copies of its per-stage event lists plus its place in the
// pattern, and each event is offered to every partial match, which spawns the
// branches the rules allow. Nothing is shared, nothing is cached.
//
// The places a partial match can be in mirror Flink CEP's compiled NFA states
// (the "tested behaviour" CEP_SEMANTICS.md follows), but are described in
// pattern terms: "in stage s after k takes", "waiting on a not_next",
// "waiting for a not_followed_by window to close". See reference_matcher.cc.
//
// Shape: the matcher shape of cep/nfa/pattern.h's closing comment, so the
// differential test can drive it and NfaMatcher side by side.
// Threading: one owner. Failure: CHECK on malformed patterns (it never throws).
class ReferenceMatcher {
 public:
  explicit ReferenceMatcher(std::shared_ptr<const Pattern> pattern);

  // Advances time to event->ts() (§5, §6), then offers the event to every
  // partial match and to the start state. Appends what became ready (§8).
  void OnEvent(std::shared_ptr<const Event> event, std::vector<Match>& out);
  // Advances time to `t` without an event (a watermark).
  void AdvanceTime(EventTime t, std::vector<Match>& out);
  // Live partial matches, start state excluded.
  size_t partial_match_count() const { return partials_.size(); }

  using EventPtr = std::shared_ptr<const Event>;

  // Where a partial match stands in the pattern.
  enum class Place : uint8_t {
    kStage,    // in positive stage `stage` after `taken` takes (0: waiting for its first event)
    kNotNext,  // waiting to inspect the next event for not_next stage `stage`
    kPending,  // not_followed_by at the end (stage `stage`): waiting for the window to close
    kDone,     // all stages satisfied
  };
  struct Position {
    Place place = Place::kStage;
    StageIndex stage = 0;
    uint32_t taken = 0;
    // The partial skipped an event since its last take (or, with taken == 0 on
    // an optional stage, while waiting for it): it may not hand over (§3).
    bool skipped = false;
    // >= 0: this place directly follows greedy loop `greedy_guard`, and does
    // nothing with an event that loop could take (§4.1).
    int greedy_guard = -1;
  };
  struct Partial {
    std::vector<std::vector<EventPtr>> stages;  // per pattern stage, acceptance order
    Position position;
    EventPtr first;  // first accepted event; null only for the start state
    int last_stage = -1;  // last positive stage that accepted an event; -1: none
  };

 private:
  struct StepResult {
    bool killed = false;              // a negation fired: `next` is empty (§6)
    std::vector<Partial> next;        // branches that stay alive
    std::vector<Partial> completed;   // branches that completed on this event
  };

  StepResult Step(const Partial& partial, const EventPtr& event, bool is_start) const;
  void Explore(const Partial& partial, const Position& position, const EventPtr& event,
               bool is_start, StepResult& result) const;
  void AddTake(const Partial& partial, const Position& position, const EventPtr& event,
               StepResult& result) const;
  bool CanComplete(const Position& position, const Event& event, const Partial& partial) const;
  bool NegationFires(const Partial& partial, const Event& event) const;

  Position Entry(size_t stage, int greedy_guard) const;
  bool CanHandOver(const Position& position) const;
  Position HandOverTarget(const Position& position, const Event& event,
                          const Partial& partial) const;
  bool CanIgnore(const Position& position, const Event& event, const Partial& partial) const;
  Position IgnoreTarget(const Position& position) const;
  bool EffectiveGreedy(size_t stage) const;

  bool Where(size_t stage, const Event& event, const Partial& partial) const;
  bool Until(size_t stage, const Event& event, const Partial& partial) const;
  bool TakeCondition(size_t stage, const Event& event, const Partial& partial) const;

  Match ToMatch(const Partial& partial, Match::Kind kind, EventTime ts) const;
  void AdvanceTimeInto(EventTime t, std::vector<Match>& ready);
  void HandleCompleted(std::vector<Match> completed, std::vector<Match>& ready);
  void ReleaseHeld(std::vector<Match>& ready);
  void Prune(const Match& released);

  std::shared_ptr<const Pattern> pattern_;
  Partial start_;                  // the empty start partial: never dies (§1)
  std::vector<Partial> partials_;  // live partial matches
  std::vector<Match> held_;        // completed, held back by §8 (skip strategies only)
};

// The order in which matches that become ready together are emitted (§8): by
// first event (ts, seq). Ties (same first event) are ours to choose: fewer events
// first, then the events compared one by one by (ts, seq) in stage order, then
// fewer events in the earliest stage that differs, then a completed match
// before a timeout.
bool MatchEmittedBefore(const Match& a, const Match& b);

// (ts, seq) order of event positions (§9).
bool EventBefore(const Event& a, const Event& b);

}  // namespace cep
