#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/function_ref.h"
#include "cep/base/result.h"
#include "cep/base/time.h"

namespace rules {

// One regex literal of a ruleset, `/pattern/flags` (DSL.md "Lexical").
struct RegexSpec {
  std::string pattern;
  std::string flags;  // any of i (caseless), s (dot matches newline), m (multi-line)
};

// Caps on what a ruleset may ask of the regex compiler. Rule text arrives over
// HTTP, and a 15-character pattern such as (?:a|b){10000}c takes seconds to
// compile, so every bound is checked before Hyperscan sees the pattern, and the
// compile itself runs against a time budget.
struct RegexLimits {
  size_t max_pattern_length = 1024;
  uint32_t max_repeat = 1000;  // the largest n in {n}, {n,} or {n,m}
  size_t max_patterns = 4096;
  cep::Duration compile_budget = cep::Duration::Seconds(5);
};

// Why one regex of the input was refused: its index and a message a rule author
// can act on ("repetition {10000} exceeds the limit of 1000").
struct RegexError {
  size_t index;
  std::string message;
};

// All regexes that test one field, compiled into one Hyperscan database:
// scanning a value once tells which of them match (DSL.md: "an event's field is
// scanned once for all rules"). Matching is a search (anywhere in the value),
// bytewise, as `~` means in the language.
//
// Threading: a compiled RegexSet is immutable and safe to share; each scanning
// thread needs its own Scratch.
class RegexSet {
 public:
  class Scratch;

  // Checks every spec (flags, caps, Hyperscan's syntax) and reports all errors,
  // not only the first; then compiles them together within the time budget
  // (a DeadlineExceeded error if it runs out; the compile finishes in the
  // background and is discarded). An empty input gives an empty set.
  static cep::Result<std::shared_ptr<const RegexSet>, std::vector<RegexError>> Compile(
      const std::vector<RegexSpec>& specs, const RegexLimits& limits = {});

  ~RegexSet();
  RegexSet(const RegexSet&) = delete;
  RegexSet& operator=(const RegexSet&) = delete;

  size_t size() const { return size_; }

  // Scratch space for scanning this set: one per (thread, set).
  std::unique_ptr<Scratch> NewScratch() const;

  // Calls `on_match(index)` once for each regex (by its index in the input
  // specs) that matches somewhere in `text`. Fails only on a Hyperscan runtime
  // error (a bug or exhausted memory).
  cep::Status Scan(std::string_view text, Scratch& scratch,
                   cep::FunctionRef<void(uint32_t)> on_match) const;

 private:
  RegexSet(void* database, size_t size) : database_(database), size_(size) {}

  void* database_;  // hs_database_t*; void* keeps hs.h out of this header
  size_t size_;
};

class RegexSet::Scratch {
 public:
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

 private:
  friend class RegexSet;
  explicit Scratch(void* scratch) : scratch_(scratch) {}
  void* scratch_;  // hs_scratch_t*
};

}  // namespace rules
