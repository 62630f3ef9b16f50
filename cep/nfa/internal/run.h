#pragma once

#include <cstdint>
#include <vector>

#include "cep/base/time.h"

namespace cep::internal {

// A run (partial match) of the NFA: a small value. Its events live in the
// matcher's SharedBuffer, reached from `node` (the last event taken); Flink calls
// it a ComputationState. The first event's position orders runs (§8, §9).
struct Run {
  uint32_t state;      // NfaProgram state
  uint32_t node;       // last node of its path (SharedBuffer::kNil: none yet)
  EventTime start_ts;  // first event's (ts, seq)
  uint64_t start_seq;
};

// A completed match (or a not_followed_by-at-end run whose window closed) not yet
// emitted: skip strategies hold it back behind earlier-starting runs (§8).
struct CompletedRun {
  uint32_t node;
  EventTime start_ts;
  uint64_t start_seq;
  EventTime ts;  // Match::ts
};

inline bool StartsBefore(EventTime ts_a, uint64_t seq_a, EventTime ts_b, uint64_t seq_b) {
  return ts_a < ts_b || (ts_a == ts_b && seq_a < seq_b);
}
template <typename A, typename B>
bool StartsBefore(const A& a, const B& b) {
  return StartsBefore(a.start_ts, a.start_seq, b.start_ts, b.start_seq);
}

// Per-thread working memory for one step, so that a million idle matchers do not
// each keep their own (matchers are single-owner and steps never nest).
struct StepScratch {
  std::vector<uint32_t> stack;
  std::vector<uint32_t> proceed_stack;
  std::vector<uint32_t> edges;
  std::vector<Run> next;
  std::vector<CompletedRun> ready;
  std::vector<int8_t> cache;
};

}  // namespace cep::internal
