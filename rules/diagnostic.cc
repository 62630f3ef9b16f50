#include "rules/diagnostic.h"

#include <algorithm>

namespace rules {

SourceSpan Cover(const SourceSpan& first, const SourceSpan& last) {
  SourceSpan out = first;
  const uint32_t end = std::max(first.offset + first.length, last.offset + last.length);
  out.length = end - first.offset;
  return out;
}

std::string FormatDiagnostic(std::string_view file, std::string_view source,
                             const Diagnostic& diagnostic) {
  const SourceSpan& span = diagnostic.span;
  std::string out = std::string(file) + ":" + std::to_string(span.line) + ":" +
                    std::to_string(span.col) + ": " + diagnostic.message + "\n";
  if (span.offset > source.size()) return out;
  // The line holding the span: from the newline before it to the newline after.
  size_t start = 0;
  if (span.offset > 0) {
    const size_t newline = source.rfind('\n', span.offset - 1);
    if (newline != std::string_view::npos) start = newline + 1;
  }
  size_t end = source.find('\n', start);
  if (end == std::string_view::npos) end = source.size();
  const std::string_view line = source.substr(start, end - start);
  out.append(line).append("\n");
  // Copy tabs from the source line so that the caret lines up in any tab width.
  const size_t caret_col = span.offset - start;
  for (size_t i = 0; i < caret_col && i < line.size(); ++i) out += line[i] == '\t' ? '\t' : ' ';
  out += '^';
  const size_t span_end = std::min(static_cast<size_t>(span.offset) + span.length, end);
  for (size_t i = span.offset + 1; i < span_end; ++i) out += '~';
  out += '\n';
  return out;
}

std::string FormatDiagnostics(std::string_view file, std::string_view source,
                              const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& diagnostic : diagnostics) {
    out += FormatDiagnostic(file, source, diagnostic);
  }
  return out;
}

}  // namespace rules
