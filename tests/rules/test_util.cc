#include "tests/rules/test_util.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rules/printer.h"

namespace rules::testing {

std::string Sexpr(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kUnary:
      return std::string("(") + (expr.unary_op == UnaryOp::kNot ? "not " : "-") +
             Sexpr(*expr.args[0]) + ")";
    case ExprKind::kBinary:
      return "(" + Sexpr(*expr.args[0]) + " " + std::string(BinaryOpText(expr.binary_op)) + " " +
             Sexpr(*expr.args[1]) + ")";
    case ExprKind::kIsNull:
      return "(" + Sexpr(*expr.args[0]) + (expr.negated ? " is not null)" : " is null)");
    default:
      return PrintExpr(expr);
  }
}

std::vector<std::string> Messages(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) {
    out.push_back(std::to_string(d.span.line) + ":" + std::to_string(d.span.col) + ": " +
                  d.message);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> CorpusFiles() {
  const char* root = std::getenv("CEP_SOURCE_DIR");
  const std::filesystem::path dir =
      std::filesystem::path(root != nullptr ? root : CEP_SOURCE_DIR_FALLBACK) / "tests" /
      "fuzz" / "rules_parser_fuzz_corpus";
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    files.emplace_back(entry.path().filename().string(), buffer.str());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace rules::testing
