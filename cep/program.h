#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cep/base/time.h"
#include "cep/expr/expr.h"
#include "cep/nfa/nfa_program.h"
#include "cep/nfa/pattern.h"
#include "cep/schema.h"
#include "cep/window/window_spec.h"

namespace cep {

// A compiled ruleset: what rules/ produces from rule text and what a
// RulesetRunner executes. Immutable once built and shared by every slot
// (std::shared_ptr<const Program>), so a ruleset swap hands runners a new one.

enum class Severity : uint8_t { kUnspecified = 0, kLow, kMedium, kHigh, kCritical };
enum class RuleMode : uint8_t { kLive = 0, kShadow };

// What a rule does with an event behind the watermark (`late ...`).
struct LatePolicy {
  enum class Kind : uint8_t {
    kDrop,        // count it and drop it (the service default)
    kSideOutput,  // hand it to the engine's late-event output
    kAccept,      // still process it if ts > watermark - accept_within (best effort:
                  // out of order for patterns; windows take it if still open)
  };
  Kind kind = Kind::kDrop;
  Duration accept_within;
};

// A pattern rule's body: the compiled NFA and its pattern (stage names, within).
struct PatternBody {
  std::shared_ptr<const NfaProgram> nfa;
  bool ends_in_negation = false;  // not_followed_by at the end: matches have no completing event
  // not_next at the end: a match completes when the next event arrives and is
  // not an X; that event (not part of the match) is the completing one.
  bool ends_in_not_next = false;
  // What an alert of a rule WITHOUT `emit` carries (rules/README.md, "Alert fields"):
  // the value of field `slot` in the last event `stage` took, named `name`
  // ("<stage>.<field>"), for every field the stages' `where` (and the rule's
  // `where`) compare. Computed once by the compiler, in stage order; the runner
  // copies the values when an alert fires and skips stages without events.
  struct ComparedField {
    StageIndex stage = 0;
    SlotIndex slot = 0;
    std::string name;
  };
  std::vector<ComparedField> compared_fields = {};
};

// A velocity rule's body. Per aggregate, the expressions that make its input:
// `value` (null for count()) and its own `where` filter (null when none).
struct WindowBody {
  struct Input {
    std::shared_ptr<const Expr> value;
    std::shared_ptr<const Expr> filter;
    std::string name;  // the aggregate as written, "sum(amount)": an alert field by default
  };
  std::shared_ptr<const WindowSpec> spec;
  std::vector<Input> inputs;          // one per spec->aggregates()
  std::shared_ptr<const Expr> when;   // reads the aggregates (WindowAggregate refs)
};

// A value computed into every alert of a rule (`emit { name: EXPR }`).
struct EmitField {
  std::string name;
  std::shared_ptr<const Expr> expr;
};

struct Rule {
  std::string name;
  Severity severity = Severity::kUnspecified;
  RuleMode mode = RuleMode::kLive;
  std::vector<SlotIndex> key_slots;  // `key F, G`; empty for `key none`
  std::shared_ptr<const Expr> where;  // null: every event
  std::variant<PatternBody, WindowBody> body;
  std::vector<EmitField> emit;
  std::optional<Duration> suppress;
  LatePolicy late;
  // Identifies what the rule does, for checkpoints: equal for two compilations
  // of the same rule text with the same consts, schema and regexes, different
  // (a stable hash, equal across processes and builds) when any of them changed.
  // A restore keeps a rule's state only if its fingerprint is unchanged. 0 for
  // rules built by hand.
  uint64_t fingerprint = 0;

  bool is_pattern() const { return std::holds_alternative<PatternBody>(body); }
};

// Where an event's regex results live: the engine scans each field once and
// stores the match bits in hidden int slots (`regex_words`, 64 regexes a word);
// expression regex ids index those bits (id / 64 = word, id % 64 = bit).
struct RegexSlots {
  std::vector<SlotIndex> words;
};

struct Program {
  std::string ruleset;
  uint32_t version = 0;
  std::shared_ptr<const Schema> schema;
  std::vector<Rule> rules;
  RegexSlots regex;
};

}  // namespace cep
