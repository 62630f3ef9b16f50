// ValidatePattern and the compiler's shape (pattern.h, CEP_SEMANTICS.md, DSL.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cep/nfa/nfa_program.h"
#include "tests/cep/nfa/nfa_test_util.h"

namespace cep::nfa_test {
namespace {

using ::testing::HasSubstr;

Status Validate(std::vector<Stage> stages, std::optional<Duration> within = std::nullopt,
                AfterMatchSkip skip = {}) {
  return ValidatePattern(*P(std::move(stages), within, skip));
}

TEST(NfaPatternTest, AcceptsWellFormedPatterns) {
  EXPECT_TRUE(Validate({S("a")}).ok());
  EXPECT_TRUE(Validate({Opt(Loop(S("a")))}).ok());
  EXPECT_TRUE(Validate({S("a"), NotNext("x")}).ok());
  EXPECT_TRUE(Validate({S("a"), NotFollowedBy("x")}, Duration::Seconds(1)).ok());
  EXPECT_TRUE(Validate({Greedy(Until(Loop(S("a")), "x")), S("b")}).ok());
  EXPECT_TRUE(Validate({S("a"), S("b")}, std::nullopt, {SkipStrategy::kSkipToLast, 1}).ok());
}

TEST(NfaPatternTest, RejectsStructuralErrorsNamingTheStage) {
  EXPECT_FALSE(Validate({}).ok());
  EXPECT_THAT(Validate({NotNext("x"), S("a")}).message(), HasSubstr("'x'"));
  EXPECT_THAT(Validate({S("a"), NotFollowedBy("x")}).message(), HasSubstr("within"));
  EXPECT_THAT(Validate({Opt(S("a")), NotNext("x"), S("b")}).message(), HasSubstr("optional"));
  EXPECT_THAT(Validate({S("a"), Until(S("b"), "x")}).message(), HasSubstr("'b'"));
  EXPECT_FALSE(Validate({Greedy(S("a"))}).ok());
  EXPECT_FALSE(Validate({Inner(S("a"), Contiguity::kStrict)}).ok());
  EXPECT_FALSE(Validate({Loop(S("a"), 3, 2)}).ok());
  EXPECT_FALSE(Validate({Loop(S("a"), 0, 0)}).ok());
  EXPECT_FALSE(Validate({S("a")}, std::nullopt, {SkipStrategy::kSkipToFirst, 1}).ok());
  EXPECT_FALSE(Validate({S("a")}, Duration::Zero()).ok());
  Stage negated_loop = Loop(NotNext("x"));
  EXPECT_FALSE(Validate({S("a"), negated_loop, S("b")}).ok());
}

TEST(NfaPatternTest, CompileFailsWithTheValidationStatus) {
  auto result = NfaProgram::Compile(P({NotNext("x")}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
}

TEST(NfaPatternTest, TimesUnrollsIntoOneStatePerIteration) {
  auto single = NfaProgram::Compile(P({S("a")})).value();
  auto times = NfaProgram::Compile(P({Loop(S("a"), 3, 3)})).value();
  EXPECT_GT(times->states().size(), single->states().size() + 1);
  EXPECT_NE(times->DebugString().find("final"), std::string::npos);
}

TEST(NfaPatternTest, OneProgramServesManyMatchers) {
  auto program = NfaProgram::Compile(P({S("a"), S("b")})).value();
  NfaMatcher k1(program), k2(program);
  std::vector<Match> out;
  auto events = Stream("a1 b1");
  k1.OnEvent(events[0], out);
  k2.OnEvent(events[1], out);
  EXPECT_TRUE(out.empty());
  k1.OnEvent(events[1], out);
  EXPECT_EQ(out.size(), 1u);
}

}  // namespace
}  // namespace cep::nfa_test
