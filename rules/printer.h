#pragma once

#include <string>

#include "rules/ast.h"

namespace rules {

// Canonical DSL text for an AST: one item per line, two-space indentation,
// items in a fixed order (key, severity, where, pattern, window, skip, emit,
// on timeout emit, suppress, mode, late, unbounded), the long skip spellings
// shortened (`skip past_last_event`), and only the parentheses precedence
// needs. Comments are not kept. Parsing the output gives an AST that prints the
// same text again (the parser tests and the fuzzer check this).
// Pure functions of their input; safe from any thread.
std::string PrintRuleset(const Ruleset& ruleset);
std::string PrintRule(const Rule& rule);
std::string PrintExpr(const Expr& expr);

}  // namespace rules
