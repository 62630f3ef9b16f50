#include "tests/rules/parser_fuzz_body.h"

#include <string>

#include "cep/base/check.h"
#include "rules/checker.h"
#include "rules/diagnostic.h"
#include "rules/parser.h"
#include "rules/printer.h"

namespace rules::testing {

void FuzzRulesParserOnce(std::string_view input) {
  auto parsed = Parse(input);
  if (!parsed.ok()) {
    CHECK(!parsed.error().empty(), "a failed parse has diagnostics");
    (void)FormatDiagnostics("fuzz.rules", input, parsed.error());
  } else {
    const std::string printed = PrintRuleset(*parsed);
    // The canonical text may be longer than the input (indentation), so the
    // reparse gets room beyond the input cap; every other cap is kept.
    ParseLimits roomy;
    roomy.max_input_bytes = printed.size() + 1;
    roomy.max_tokens = ParseLimits{}.max_tokens * 2;
    auto reparsed = Parse(printed, roomy);
    if (!reparsed.ok()) {
      const std::string why = FormatDiagnostics("printed.rules", printed, reparsed.error());
      CHECK(false, why.c_str());
    }
    CHECK(PrintRuleset(*reparsed) == printed, "print -> parse -> print is stable");
    auto checked = Check(std::move(*parsed));
    if (!checked.ok()) (void)FormatDiagnostics("fuzz.rules", input, checked.error());
  }
  auto expr = ParseExpression(input);
  if (expr.ok()) {
    const std::string printed = PrintExpr(**expr);
    auto again = ParseExpression(printed);
    CHECK(again.ok() && PrintExpr(**again) == printed, "expression print is stable");
  }
}

}  // namespace rules::testing
