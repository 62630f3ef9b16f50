// The fuzz corpus as an ordinary test: every seed through the fuzz body (parse,
// print-reparse stability, check), and an explicit print-reparse comparison.
#include <gtest/gtest.h>

#include "rules/parser.h"
#include "rules/printer.h"
#include "tests/rules/parser_fuzz_body.h"
#include "tests/rules/test_util.h"

namespace rules {
namespace {

TEST(RulesCorpusTest, EverySeedRunsThroughTheFuzzBody) {
  const auto files = testing::CorpusFiles();
  ASSERT_GE(files.size(), 5u);
  for (const auto& [name, contents] : files) {
    SCOPED_TRACE(name);
    testing::FuzzRulesParserOnce(contents);
  }
}

TEST(RulesCorpusTest, ValidSeedsPrintAndReparseToTheSameAst) {
  size_t valid = 0;
  for (const auto& [name, contents] : testing::CorpusFiles()) {
    if (name.starts_with("error_")) continue;  // seeds for the error paths
    SCOPED_TRACE(name);
    auto parsed = Parse(contents);
    ASSERT_TRUE(parsed.ok()) << FormatDiagnostics(name, contents, parsed.error());
    const std::string printed = PrintRuleset(*parsed);
    auto reparsed = Parse(printed);
    ASSERT_TRUE(reparsed.ok()) << FormatDiagnostics("printed", printed, reparsed.error());
    EXPECT_EQ(PrintRuleset(*reparsed), printed);
    EXPECT_EQ(reparsed->rules.size(), parsed->rules.size());
    ++valid;
  }
  EXPECT_GE(valid, 5u);
}

}  // namespace
}  // namespace rules
