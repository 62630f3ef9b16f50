#pragma once

#include <vector>

#include "cep/base/result.h"
#include "cep/schema.h"
#include "rules/ast.h"
#include "rules/diagnostic.h"

namespace rules {

// A ruleset that passed the checker: the AST, with every expression annotated
// (Expr::resolved: type, and what a name refers to: schema slot, stage, const),
// and the schema its slots index. This is what the compiler turns into
// cep::Pattern / window specs and expression trees; it never needs to look a
// name up again.
struct CheckedRuleset {
  Ruleset ast;
  // The declared schema, or cep::Schema::Transaction(); followed by one string
  // slot per distinct `attrs.NAME` the rules read, named "attrs.NAME".
  cep::Schema schema;
};

// Checks names and types against the schema, consts, stage references,
// aggregates, bounded state, skip targets, duplicates and durations (the rules
// are listed in rules/README.md). Returns every diagnostic, sorted by position,
// or the annotated ruleset. Regex syntax is not checked here (rules/regex does
// that with Hyperscan). A pure function: safe from any thread.
cep::Result<CheckedRuleset, std::vector<Diagnostic>> Check(Ruleset ruleset);

}  // namespace rules
