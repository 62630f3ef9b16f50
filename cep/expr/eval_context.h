#pragma once

#include <cstdint>
#include <span>

#include "cep/event.h"
#include "cep/expr/scratch_arena.h"
#include "cep/match_view.h"
#include "cep/value.h"

namespace cep {

// Which regexes of the ruleset matched the current event: bit `regex_id` is set
// when regex number `regex_id` matched its field. Filled once per event by the
// Hyperscan scan (rules/ assigns the ids); a `~` node only tests its bit, so the
// regex itself never runs during evaluation. Borrows the words; an id past the
// end reads as "no match".
class RegexMatches {
 public:
  constexpr RegexMatches() = default;
  constexpr explicit RegexMatches(std::span<const uint64_t> words) : words_(words) {}

  bool Test(uint32_t regex_id) const {
    const size_t word = regex_id / 64;
    return word < words_.size() && ((words_[word] >> (regex_id % 64)) & 1U) != 0;
  }

 private:
  std::span<const uint64_t> words_;
};

// Everything an expression reads besides its own constants, for one evaluation.
// The caller fills the inputs and keeps one context per thread (it owns the
// scratch arena, reused across evaluations). Inputs are borrowed: they must
// outlive the evaluation, and string results may point into them.
//
// Missing inputs read as null: field reads with no `event`, stage references with
// no `match`, and aggregate references past the end of `aggregates` all yield
// null, so a window `when` condition can run without an event.
//
// Threading: one owner; never shared.
struct EvalContext {
  const Event* event = nullptr;
  // The partial match a pattern stage's condition sees; null outside patterns.
  const MatchView* match = nullptr;
  // The current values of a velocity rule's window aggregates, by index.
  std::span<const Value> aggregates;
  RegexMatches regex;
  // Bytes of strings computed during one evaluation (lower, upper). Reset by
  // Expr::Evaluate, so its results stay valid until the next evaluation.
  ScratchArena scratch;
};

}  // namespace cep
