#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cep/base/result.h"
#include "cep/program.h"
#include "rules/checker.h"
#include "rules/diagnostic.h"
#include "rules/parser.h"
#include "rules/regex/regex_set.h"

namespace rules {

// The regexes of a compiled ruleset that test one field, and the hidden int
// slot where the engine stores their match bits (regex i of the field is bit i):
// the engine scans the field once per event and sets the slot before the event
// reaches any rule (engine/decode/event_assembler.h).
struct FieldRegexes {
  cep::SlotIndex field;
  cep::SlotIndex bits_slot;
  std::shared_ptr<const RegexSet> set;
};

// A ruleset ready to run: the immutable program (shared by every slot) and the
// regex sets its events must be scanned with.
struct CompiledRuleset {
  std::shared_ptr<const cep::Program> program;
  std::vector<FieldRegexes> regexes;
};

struct CompileOptions {
  ParseLimits parse;
  RegexLimits regex;
  // Per-rule cap on live partial matches per key (see cep::NfaOptions).
  size_t max_partial_matches = 10'000;
  // `const` values replaced before checking (`cep replay --set NAME=VALUE`):
  // (name, value as it would be written after `const NAME =`). An unknown name
  // or a value that is no const literal is a diagnostic at the ruleset's start;
  // a value of the wrong type for a use is the checker's usual diagnostic there.
  std::vector<std::pair<std::string, std::string>> const_overrides;
};

// Parses, checks and compiles rule text (DSL.md). Every problem is a
// diagnostic with its position; a ruleset with any error is never compiled.
// A pure function: safe from any thread.
cep::Result<CompiledRuleset, std::vector<Diagnostic>> CompileRuleset(
    std::string_view text, const CompileOptions& options = {});

// The last step alone, for a ruleset that passed the checker.
cep::Result<CompiledRuleset, std::vector<Diagnostic>> Compile(CheckedRuleset checked,
                                                              const CompileOptions& options = {});

}  // namespace rules
