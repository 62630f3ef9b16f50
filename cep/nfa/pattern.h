#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cep/base/status.h"
#include "cep/base/time.h"
#include "cep/event.h"
#include "cep/match_view.h"

namespace cep {

// The compiled, validated form of a rule's `pattern ... within D` plus its `skip`
// and `on timeout emit` items: what rules/ produces and what every matcher (the
// NFA in cep/nfa/, the reference matcher in tests/cep/nfa/) consumes. The
// semantics are those of CEP_SEMANTICS.md (Apache Flink CEP's tested behaviour).
// Immutable once built; shared between all keys of a rule.

// How a stage relates to the event before it (DSL: next / followed_by /
// followed_by_any), and how a loop's iterations relate to each other
// (consecutive / default / allow_combinations).
enum class Contiguity : uint8_t {
  kStrict,            // `next`, `consecutive`: the very next event
  kRelaxed,           // `followed_by`, loop default: skip events that do not match
  kNonDeterministic,  // `followed_by_any`, `allow_combinations`: skip any event
};

enum class StageKind : uint8_t {
  kPositive,       // accepts events
  kNotNext,        // `not_next`: the single next event must not match
  kNotFollowedBy,  // `not_followed_by`: no match before the next positive stage
};

inline constexpr uint32_t kUnboundedTimes = std::numeric_limits<uint32_t>::max();

// How many events a positive stage takes. A stage without a quantifier is
// {1, 1}. `optional` = min 0 on a single stage; `times N` = {N, N};
// `times N..M` = {N, M}; `times 0..M` = {1, M} optional; `one_or_more` =
// {1, kUnboundedTimes}; `times_or_more N` = {N, kUnboundedTimes}.
struct Quantifier {
  uint32_t min = 1;
  uint32_t max = 1;
  bool optional = false;  // the whole stage may be bypassed
  bool greedy = false;    // loops only; no effect on the last stage
  Contiguity inner = Contiguity::kRelaxed;  // between iterations; loops only

  bool looping() const { return max > 1; }
};

// A stage's condition: may `event` be accepted, given what this partial match
// has accepted so far (conditions over earlier stages, or over the loop's own
// events)? Compiled rule expressions implement it; tests use MakeCondition.
// Must be pure: the same inputs give the same answer, whichever matcher asks.
class Condition {
 public:
  virtual ~Condition() = default;
  virtual bool Matches(const Event& event, const MatchView& match) const = 0;
};

using ConditionFn = std::function<bool(const Event&, const MatchView&)>;
std::shared_ptr<const Condition> MakeCondition(ConditionFn fn);

struct Stage {
  std::string name;
  StageKind kind = StageKind::kPositive;
  // Relation to the previous stage's last accepted event; ignored for stage 0
  // and for negations (their kind says it).
  Contiguity contiguity = Contiguity::kRelaxed;
  Quantifier quantifier;                   // positive stages only
  std::shared_ptr<const Condition> where;  // null: every event matches
  std::shared_ptr<const Condition> until;  // loops only; null: none
};

enum class SkipStrategy : uint8_t {
  kNoSkip,
  kSkipToNext,
  kSkipPastLastEvent,
  kSkipToFirst,  // needs `stage`
  kSkipToLast,   // needs `stage`
};

struct AfterMatchSkip {
  SkipStrategy strategy = SkipStrategy::kNoSkip;
  StageIndex stage = 0;  // for kSkipToFirst / kSkipToLast
};

struct Pattern {
  std::vector<Stage> stages;
  std::optional<Duration> within;  // FIRST_AND_LAST: from the match's first event
  AfterMatchSkip skip;
  bool emit_timeouts = false;  // `on timeout emit`
};

// Checks the structural rules of CEP_SEMANTICS.md and DSL.md: at least one
// positive stage; the first stage positive; a pattern ending in not_followed_by
// has `within`; a negation does not directly follow an optional stage; `until`
// and `greedy` and inner contiguity only on loops; min <= max, max >= 1; skip
// stage in range. The message names the stage. (The rules checker reports these
// with source positions; this is the core's own guard.)
Status ValidatePattern(const Pattern& pattern);

// A match a matcher reports: for each stage (indexed by StageIndex, so negated
// and bypassed stages are empty), the events it accepted, in acceptance order.
struct Match {
  enum class Kind : uint8_t {
    kMatch,    // completed (including a not_followed_by at the end whose window closed)
    kTimeout,  // a partial match discarded by `within`, with `emit_timeouts`
  };
  Kind kind = Kind::kMatch;
  // kMatch: the completing event's ts, or first + within for a pattern ending in
  // not_followed_by. kTimeout: first + within.
  EventTime ts;
  std::vector<std::vector<std::shared_ptr<const Event>>> stages;
};

// Every matcher (cep/nfa's NFA, the reference matcher in tests) has this shape,
// for one rule and one key, so a differential test can drive two of them:
//
//   explicit Matcher(std::shared_ptr<const Pattern> pattern);
//   // Advances time to event->ts() (firing timeouts and not_followed_by-at-end
//   // matches, CEP_SEMANTICS.md §5-6), then offers the event to every partial
//   // match and the start state. Appends what became ready, in the order of §8.
//   // Events arrive in the order the event-time layer releases them (ts order);
//   // the matcher itself never reorders (§7).
//   void OnEvent(std::shared_ptr<const Event> event, std::vector<Match>& out);
//   // Advances time to `t` without an event (a watermark): prunes partial
//   // matches with t - first >= within, appending timeouts (if asked for) and
//   // pending not_followed_by-at-end matches.
//   void AdvanceTime(EventTime t, std::vector<Match>& out);
//   size_t partial_match_count() const;  // live partial matches, start state excluded

}  // namespace cep
