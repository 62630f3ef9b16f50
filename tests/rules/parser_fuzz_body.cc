#include "tests/rules/parser_fuzz_body.h"

#include <string>

#include "cep/base/check.h"
#include "cep/ruleset_runner.h"
#include "rules/checker.h"
#include "rules/compiler.h"
#include "rules/diagnostic.h"
#include "rules/parser.h"
#include "rules/printer.h"

namespace rules::testing {
namespace {

// A value of each type for synthetic events; `i` varies them between events.
cep::Value SampleValue(cep::Type type, int64_t i) {
  switch (type) {
    case cep::Type::kBool: return cep::Value::Bool(i % 2 == 0);
    case cep::Type::kInt: return cep::Value::Int(i * 7 - 3);
    case cep::Type::kFloat: return cep::Value::Float(static_cast<double>(i) * 1.5);
    case cep::Type::kDecimal: return cep::Value::Decimal(i * 2'500'000);
    case cep::Type::kString: return cep::Value::String(i % 2 == 0 ? "casino" : "Shop");
    case cep::Type::kTime: return cep::Value::Time(cep::EventTime::FromMillis(i * 60'000));
    case cep::Type::kDuration: return cep::Value::Dur(cep::Duration::Seconds(i));
    case cep::Type::kNull: return cep::Value::Null();
  }
  return cep::Value::Null();
}

// Runs a compiled program over a few events, some fields null, so compiled
// expressions, NFA and windows execute too; then closes all windows.
void RunProgram(const CompiledRuleset& compiled) {
  const cep::Schema& schema = *compiled.program->schema;
  cep::RulesetRunner runner(compiled.program);
  for (int64_t i = 0; i < 6; ++i) {
    cep::EventBuilder builder(schema.size());
    builder.SetTs(cep::EventTime::FromMillis(i * 60'000)).SetSeq(static_cast<uint64_t>(i)).SetId("e");
    for (size_t slot = 0; slot < schema.size(); ++slot) {
      if ((static_cast<int64_t>(slot) + i) % 5 == 4) continue;  // leave some fields null
      builder.Set(static_cast<cep::SlotIndex>(slot), SampleValue(schema.field(static_cast<cep::SlotIndex>(slot)).type, i));
    }
    runner.OnEvent(std::make_shared<const cep::Event>(builder.Build()));
  }
  std::vector<cep::RuleAlert> alerts;
  runner.AdvanceWatermark(cep::EventTime::Max(), alerts);
}

}  // namespace

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
    if (!checked.ok()) {
      (void)FormatDiagnostics("fuzz.rules", input, checked.error());
    } else {
      // A short regex budget: a slow pattern must become a diagnostic, not a hang.
      CompileOptions options;
      options.regex.compile_budget = cep::Duration::Millis(500);
      auto compiled = Compile(std::move(*checked), options);
      if (compiled.ok()) {
        RunProgram(*compiled);
      } else {
        CHECK(!compiled.error().empty(), "a failed compile has diagnostics");
        (void)FormatDiagnostics("fuzz.rules", input, compiled.error());
      }
    }
  }
  auto expr = ParseExpression(input);
  if (expr.ok()) {
    const std::string printed = PrintExpr(**expr);
    auto again = ParseExpression(printed);
    CHECK(again.ok() && PrintExpr(**again) == printed, "expression print is stable");
  }
}

}  // namespace rules::testing
