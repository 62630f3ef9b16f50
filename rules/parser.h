#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "cep/base/result.h"
#include "rules/ast.h"
#include "rules/diagnostic.h"

namespace rules {

// Caps on the work one rule text may ask for. Rule text arrives over HTTP, so
// every cap is checked before the work it bounds, and exceeding one is a
// diagnostic, never a crash or a stack overflow.
struct ParseLimits {
  size_t max_input_bytes = size_t{1} << 20;  // 1 MiB
  size_t max_tokens = 250'000;
  size_t max_rules = 1'000;
  // Nesting of parentheses, lists, calls and prefix operators; bounds the
  // parser's recursion.
  size_t max_nesting = 64;
  // Height of an expression tree, binary chains included (`a + b + c` is 3);
  // bounds the recursion of every later walk (printer, checker, compiler).
  size_t max_expr_height = 256;
  // After this many errors the parser stops and says so.
  size_t max_diagnostics = 100;
};

// Parses a whole ruleset (DSL.md plus the additions in rules/README.md).
// On failure returns every diagnostic found, sorted by position: the parser
// recovers at the next rule item, rule or top-level keyword. A pure function:
// safe to call from any thread.
cep::Result<Ruleset, std::vector<Diagnostic>> Parse(std::string_view text,
                                                    const ParseLimits& limits = {});

// Parses one expression (`amount > 100 and country != "US"`), with the same
// limits. For tests and tools that evaluate a single condition.
cep::Result<ExprPtr, std::vector<Diagnostic>> ParseExpression(std::string_view text,
                                                              const ParseLimits& limits = {});

// Words that cannot name a rule, stage, const, field or emitted value.
bool IsReservedWord(std::string_view word);

}  // namespace rules
