#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rules {

// Where a piece of rule text is: 1-based line and column (columns count bytes),
// the 0-based byte offset and the length in bytes. Every AST node carries one so
// that parser and checker errors point at the text the author wrote.
struct SourceSpan {
  uint32_t line = 1;
  uint32_t col = 1;
  uint32_t offset = 0;
  uint32_t length = 0;

  friend bool operator==(const SourceSpan&, const SourceSpan&) = default;
};

// The span from the start of `first` to the end of `last` (same text, last after first).
SourceSpan Cover(const SourceSpan& first, const SourceSpan& last);

// One problem with a ruleset: where, and one sentence a rule author can act on
// ("expected a duration such as 10m after 'within', got '10'"). The parser and the
// checker return all of them, sorted by position, never only the first.
struct Diagnostic {
  SourceSpan span;
  std::string message;
};

// Renders one diagnostic the way compilers do:
//
//   card.rules:7:12: expected a duration such as 10m after 'within', got '10'
//     within 10
//            ^~
//
// `source` is the text the span refers to. A span past the end of the text (or a
// text that changed) still prints the first line; the caret is then omitted.
std::string FormatDiagnostic(std::string_view file, std::string_view source,
                             const Diagnostic& diagnostic);
// All diagnostics, each formatted as above, one after the other.
std::string FormatDiagnostics(std::string_view file, std::string_view source,
                              const std::vector<Diagnostic>& diagnostics);

}  // namespace rules
