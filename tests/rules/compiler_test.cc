#include "rules/compiler.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace rules {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Errors(std::string_view text, const std::vector<Diagnostic>& diagnostics) {
  return FormatDiagnostics("test.rules", text, diagnostics);
}

// Every example ruleset users start from compiles.
TEST(CompilerTest, EveryShippedRulesetCompiles) {
  const char* source = std::getenv("CEP_SOURCE_DIR");
  if (source == nullptr) source = CEP_SOURCE_DIR_FALLBACK;
  int compiled = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(source) / "rulesets")) {
    if (entry.path().extension() != ".rules") continue;
    const std::string text = ReadFile(entry.path());
    auto result = CompileRuleset(text);
    ASSERT_TRUE(result.ok()) << entry.path() << "\n" << Errors(text, result.error());
    EXPECT_FALSE(result->program->rules.empty());
    ++compiled;
  }
  EXPECT_GE(compiled, 7);
}

TEST(CompilerTest, PatternsWindowsAndRegexesBecomeProgramParts) {
  const std::string text = R"(ruleset t version 4
const HIGH = [7995, 6051]
rule p {
  severity high
  key account_id
  pattern
    begin small where amount < 5.00 times 3 consecutive
    followed_by large where amount > 500 and mcc in HIGH and merchant ~ /casino/i
    within 10m
  skip past_last_event
  emit { total: sum(small.amount) }
}
rule w {
  key card_id, account_id
  where merchant !~ /casino/i
  window last 30m
  when count() >= 5 and sum(amount) > 2000 and count() < 100
}
)";
  auto result = CompileRuleset(text);
  ASSERT_TRUE(result.ok()) << Errors(text, result.error());
  const cep::Program& program = *result->program;
  EXPECT_EQ(program.ruleset, "t");
  EXPECT_EQ(program.version, 4u);
  ASSERT_EQ(program.rules.size(), 2u);
  const cep::Rule& p = program.rules[0];
  EXPECT_EQ(p.severity, cep::Severity::kHigh);
  ASSERT_TRUE(p.is_pattern());
  const auto& pattern = std::get<cep::PatternBody>(p.body).nfa->pattern();
  ASSERT_EQ(pattern.stages.size(), 2u);
  EXPECT_EQ(pattern.stages[0].quantifier.min, 3u);
  EXPECT_EQ(pattern.stages[0].quantifier.inner, cep::Contiguity::kStrict);
  EXPECT_EQ(pattern.skip.strategy, cep::SkipStrategy::kSkipPastLastEvent);
  EXPECT_EQ(*pattern.within, cep::Duration::Minutes(10));
  EXPECT_EQ(p.emit.size(), 1u);
  const cep::Rule& w = program.rules[1];
  EXPECT_EQ(w.key_slots.size(), 2u);
  const auto& window = std::get<cep::WindowBody>(w.body);
  // count() appears twice in `when` but is one aggregate.
  ASSERT_EQ(window.inputs.size(), 2u);
  EXPECT_EQ(window.inputs[0].name, "count()");
  EXPECT_EQ(window.inputs[1].name, "sum(amount)");
  // Both rules test merchant with the same regex: one set, one regex, one bits slot.
  ASSERT_EQ(result->regexes.size(), 1u);
  EXPECT_EQ(result->regexes[0].set->size(), 1u);
  EXPECT_EQ(program.regex.words.size(), 1u);
  EXPECT_EQ(program.schema->field(program.regex.words[0]).name, "__regex.merchant");
}

TEST(CompilerTest, RegexErrorsPointAtTheRegex) {
  const std::string text = R"(ruleset t version 1
rule r {
  key account_id
  pattern
    begin a where merchant ~ /(?:a|b){10000}c/
    within 1m
}
)";
  auto result = CompileRuleset(text);
  ASSERT_FALSE(result.ok());
  const std::string errors = Errors(text, result.error());
  EXPECT_NE(errors.find("test.rules:5:30: repetition {10000} exceeds the limit of 1000"),
            std::string::npos)
      << errors;
}

TEST(CompilerTest, ParseAndCheckErrorsAreAllReported) {
  const std::string text = R"(ruleset t version 1
rule a { key account_id window last 10m when count() > }
rule b { key nosuchfield window last 10m when count() > 1 }
)";
  auto result = CompileRuleset(text);
  ASSERT_FALSE(result.ok());
  EXPECT_GE(result.error().size(), 1u);
  EXPECT_NE(Errors(text, result.error()).find("test.rules:2:"), std::string::npos);
}


// Rule::fingerprint decides whether a checkpoint's state of a rule is restored:
// equal for the same text, different whenever the rule could behave differently.
std::vector<uint64_t> Fingerprints(const std::string& text) {
  auto result = CompileRuleset(text);
  EXPECT_TRUE(result.ok()) << Errors(text, result.error());
  std::vector<uint64_t> out;
  if (!result.ok()) return out;
  for (const cep::Rule& rule : result->program->rules) out.push_back(rule.fingerprint);
  return out;
}

constexpr char kFingerprintRules[] = R"(ruleset t version 1
const BIG = 500
const RISKY = [7995, 6051]
rule p {
  key account_id
  pattern
    begin small where amount < 5.00
    followed_by large where amount > BIG and mcc in RISKY
    within 10m
}
rule w {
  key card_id
  window last 30m
  when count() >= 5
}
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(CompilerFingerprintTest, TheSameTextGivesTheSameFingerprints) {
  const auto first = Fingerprints(kFingerprintRules);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_NE(first[0], 0u);
  EXPECT_NE(first[0], first[1]);
  EXPECT_EQ(Fingerprints(kFingerprintRules), first);
  // Comments, blank lines and layout are not behaviour; the ruleset version neither.
  std::string reformatted = Replace(kFingerprintRules, "rule w {", "# velocity\n\nrule w {   ");
  reformatted = Replace(reformatted, "version 1", "version 2");
  EXPECT_EQ(Fingerprints(reformatted), first);
}

TEST(CompilerFingerprintTest, AChangedConstChangesTheFingerprint) {
  const auto first = Fingerprints(kFingerprintRules);
  EXPECT_NE(Fingerprints(Replace(kFingerprintRules, "const BIG = 500", "const BIG = 501"))[0],
            first[0]);
  EXPECT_NE(Fingerprints(Replace(kFingerprintRules, "[7995, 6051]", "[7995]"))[0], first[0]);
}

// A const that a rule does not name is not part of its behaviour: changing it
// keeps that rule's state on a hot swap (and lets a sweep share the rule).
TEST(CompilerFingerprintTest, AChangedConstChangesOnlyTheRulesThatUseIt) {
  const auto first = Fingerprints(kFingerprintRules);
  const auto changed = Fingerprints(Replace(kFingerprintRules, "const BIG = 500", "const BIG = 501"));
  EXPECT_NE(changed[0], first[0]);
  EXPECT_EQ(changed[1], first[1]) << "rule w names no const";
  // A name that only contains the const's (BIGGER) is not a use of BIG.
  const auto longer = Fingerprints(
      Replace(Replace(kFingerprintRules, "const BIG = 500", "const BIG = 500\nconst BIGGER = 9"),
              "count() >= 5", "count() >= BIGGER"));
  const auto longer_changed = Fingerprints(Replace(
      Replace(kFingerprintRules, "const BIG = 500", "const BIG = 501\nconst BIGGER = 9"),
      "count() >= 5", "count() >= BIGGER"));
  EXPECT_EQ(longer_changed[1], longer[1]);
}

TEST(CompilerFingerprintTest, OnlyTheChangedRuleChanges) {
  const auto first = Fingerprints(kFingerprintRules);
  const auto changed = Fingerprints(Replace(kFingerprintRules, "count() >= 5", "count() >= 6"));
  EXPECT_EQ(changed[0], first[0]);
  EXPECT_NE(changed[1], first[1]);
  const auto within = Fingerprints(Replace(kFingerprintRules, "within 10m", "within 11m"));
  EXPECT_NE(within[0], first[0]);
  EXPECT_EQ(within[1], first[1]);
}

TEST(CompilerFingerprintTest, AChangedSchemaOrRegexTableChangesEveryFingerprint) {
  const auto first = Fingerprints(kFingerprintRules);
  const std::string declared = Replace(
      kFingerprintRules, "const BIG",
      "schema { account_id: string, card_id: string, amount: decimal, mcc: int, ts: time, "
      "id: string }\nconst BIG");
  const auto with_schema = Fingerprints(declared);
  ASSERT_EQ(with_schema.size(), 2u);
  EXPECT_NE(with_schema[0], first[0]);
  EXPECT_NE(with_schema[1], first[1]);
  // Another rule testing a regex: events carry regex bits, every rule's state is suspect.
  const auto with_regex = Fingerprints(std::string(kFingerprintRules) +
                                       "rule r {\n  key account_id\n  where merchant ~ /x/\n"
                                       "  window last 1m\n  when count() > 1\n}\n");
  ASSERT_EQ(with_regex.size(), 3u);
  EXPECT_NE(with_regex[0], first[0]);
  EXPECT_NE(with_regex[1], first[1]);
}

}  // namespace
}  // namespace rules

namespace rules {
namespace {

// `--set NAME=VALUE`: an override compiles exactly like the text edited by hand.
TEST(CompilerConstOverrideTest, AnOverrideIsTheSameAsEditingTheConst) {
  CompileOptions options;
  options.const_overrides = {{"BIG", "501"}};
  auto overridden = CompileRuleset(kFingerprintRules, options);
  ASSERT_TRUE(overridden.ok()) << Errors(kFingerprintRules, overridden.error());
  const auto edited = Fingerprints(Replace(kFingerprintRules, "const BIG = 500", "const BIG = 501"));
  ASSERT_EQ(overridden->program->rules.size(), edited.size());
  for (size_t i = 0; i < edited.size(); ++i) {
    EXPECT_EQ(overridden->program->rules[i].fingerprint, edited[i]) << i;
  }
  EXPECT_NE(edited[0], Fingerprints(kFingerprintRules)[0]);
}

TEST(CompilerConstOverrideTest, UnknownNamesAndBadValuesAreDiagnostics) {
  CompileOptions unknown;
  unknown.const_overrides = {{"HUGE", "1"}};
  auto missing = CompileRuleset(kFingerprintRules, unknown);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error()[0].message.find("has no const HUGE (it has BIG"), std::string::npos)
      << missing.error()[0].message;
  CompileOptions garbage;
  garbage.const_overrides = {{"BIG", "amount +"}};
  auto bad = CompileRuleset(kFingerprintRules, garbage);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error()[0].message.find("not a const value"), std::string::npos)
      << bad.error()[0].message;
  CompileOptions wrong_type;
  wrong_type.const_overrides = {{"BIG", "\"big\""}};
  EXPECT_FALSE(CompileRuleset(kFingerprintRules, wrong_type).ok());  // compared with an amount
}

}  // namespace
}  // namespace rules
