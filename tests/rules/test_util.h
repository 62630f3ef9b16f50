#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/ast.h"
#include "rules/diagnostic.h"

namespace rules::testing {

// Fully parenthesized form of an expression, to pin precedence:
// "a or b and c" -> "(a or (b and c))".
std::string Sexpr(const Expr& expr);

// The messages of `diagnostics`, each as "line:col: message".
std::vector<std::string> Messages(const std::vector<Diagnostic>& diagnostics);

// Files of tests/fuzz/rules_parser_fuzz_corpus/ (found via CEP_SOURCE_DIR or
// the source tree path compiled in), as (name, contents), sorted by name.
std::vector<std::pair<std::string, std::string>> CorpusFiles();

}  // namespace rules::testing
