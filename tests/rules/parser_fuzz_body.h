#pragma once

#include <string_view>

namespace rules::testing {

// The body of the rules_parser_fuzz target, shared with rules_corpus_test so the
// seed corpus (tests/fuzz/rules_parser_fuzz_corpus/) runs in every build.
// Parses `input` as a ruleset and as an expression; formats any diagnostics; for
// a ruleset that parses, checks that printing and reparsing is stable, then runs
// the checker and the compiler, and runs a compiled program over a few synthetic
// events. Never fails on bad input: a crash or a CHECK failure is the bug.
void FuzzRulesParserOnce(std::string_view input);

}  // namespace rules::testing
