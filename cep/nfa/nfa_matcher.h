#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/result.h"
#include "cep/nfa/internal/run.h"
#include "cep/nfa/internal/shared_buffer.h"
#include "cep/nfa/nfa_program.h"
#include "cep/nfa/pattern.h"

namespace cep {

struct NfaOptions {
  // Cap on live partial matches per matcher. When a step leaves more, the
  // oldest-started ones (smallest first event (ts, seq)) are dropped silently (no
  // timeout is reported for them) and counted in NfaStats::dropped_partial_matches:
  // the oldest are the closest to their window's end and the ones a flood of
  // starts would otherwise keep forever.
  size_t max_partial_matches = 10'000;
};

struct NfaStats {
  uint64_t matches = 0;                  // kMatch results appended
  uint64_t timeouts = 0;                 // kTimeout results appended
  uint64_t pruned = 0;                   // partials and held matches removed by the skip strategy
  uint64_t dropped_partial_matches = 0;  // removed by the cap (NfaOptions)
};

// Tracks the partial matches ("runs") of one rule for one key and reports the
// matches that complete, exactly per CEP_SEMANTICS.md (Flink CEP's tested
// behaviour): the matcher shape of pattern.h's closing comment.
//
// Ownership: shares the immutable NfaProgram (one per rule); owns its shared
// buffer of events and path prefixes. Threading: one owner, never shared.
// Failure: none at run time; a pattern ValidatePattern rejects CHECK-fails in
// the Pattern constructor (compile it with NfaProgram::Compile to get a Status).
class NfaMatcher {
 public:
  explicit NfaMatcher(std::shared_ptr<const Pattern> pattern);
  explicit NfaMatcher(std::shared_ptr<const NfaProgram> program, NfaOptions options = {});

  NfaMatcher(NfaMatcher&&) noexcept = default;
  NfaMatcher& operator=(NfaMatcher&&) noexcept = default;
  NfaMatcher(const NfaMatcher&) = delete;
  NfaMatcher& operator=(const NfaMatcher&) = delete;

  // Advances time to event->ts() (timeouts, not_followed_by-at-end matches), then
  // offers the event to every partial match and to the start state. Appends what
  // became ready: first the matches of the time advance, then its timeouts, then
  // the matches the event completed, each group in the order of §8.
  void OnEvent(std::shared_ptr<const Event> event, std::vector<Match>& out);
  // Advances time to `t` (a watermark): partials with t - first >= within are
  // discarded; not_followed_by-at-end partials become matches, others timeouts
  // (with `on timeout emit`), both stamped first + within. Matches come first.
  void AdvanceTime(EventTime t, std::vector<Match>& out);

  size_t partial_match_count() const { return partials_.size(); }

  // A live partial match, for inspection (RulesetRunner::Explain).
  struct PartialMatch {
    EventTime start;  // the first event's ts
    uint64_t start_seq = 0;
    // The events taken so far, by StageIndex, in acceptance order (like Match::stages).
    std::vector<std::vector<std::shared_ptr<const Event>>> stages;
  };
  // The live partial matches, oldest first (by first event (ts, seq)). Runs that
  // took the same events and differ only in their NFA state are listed once.
  // Read-only; costs the events of the runs.
  std::vector<PartialMatch> PartialMatches() const;
  // Matches completed but held back behind an earlier-starting partial (§8).
  size_t held_match_count() const { return held_.size(); }
  const NfaStats& stats() const { return stats_; }
  // Bytes of state held (tables, buffer, and the events it references).
  size_t ByteSize() const;

  // The matcher's state as bytes (format: cep/nfa/README.md), and back. Restore
  // needs the same program; corrupt or mismatched bytes give kDataLoss.
  std::string Snapshot() const;
  static Result<NfaMatcher> Restore(std::shared_ptr<const NfaProgram> program,
                                    std::string_view bytes, NfaOptions options = {});

 private:
  using Run = internal::Run;
  using Completed = internal::CompletedRun;
  friend class NfaSnapshotCodec;

  void Step(const Run& run, bool is_start, const std::shared_ptr<const Event>& event,
            internal::StepScratch& scratch);
  void AddRunOrMatch(uint32_t state, uint32_t node, const Run& origin, EventTime now,
                     internal::StepScratch& scratch);
  bool ReachesFinalByProceed(uint32_t state, const Event& event, const MatchView& view,
                             internal::StepScratch& scratch) const;
  void EnforceCap();
  void EmitReady(std::vector<Completed>& ready, std::vector<Match>& out);
  void ReleaseHeld(std::vector<Match>& out);
  void Prune(const Completed& match);
  void Emit(const Completed& match, Match::Kind kind, std::vector<Match>& out);
  Match Materialize(uint32_t node, Match::Kind kind, EventTime ts) const;

  std::shared_ptr<const NfaProgram> program_;
  NfaOptions options_;
  internal::SharedBuffer buffer_;
  internal::SmallVector<Run, 2> partials_;
  std::vector<Completed> held_;  // skip strategies only: sorted by first event
  NfaStats stats_;
  uint32_t current_event_ = internal::SharedBuffer::kNil;  // entry of the event being offered
};

}  // namespace cep
