// The shared buffer, the partial-match cap and state accounting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/cep/nfa/nfa_test_util.h"

namespace cep::nfa_test {
namespace {

using ::testing::ElementsAre;

TEST(NfaStateTest, CapDropsTheOldestStartedRunsAndCountsThem) {
  NfaOptions options;
  options.max_partial_matches = 3;
  NfaMatcher matcher(NfaProgram::Compile(P({S("a"), S("b")})).value(), options);
  std::vector<Match> out;
  for (auto& e : Stream("a1 a2 a3 a4 a5 b1")) matcher.OnEvent(e, out);
  EXPECT_THAT(FormatAll(out), ElementsAre("a3 b1", "a4 b1", "a5 b1"));
  EXPECT_EQ(matcher.stats().dropped_partial_matches, 2u);
  EXPECT_LE(matcher.partial_match_count(), 3u);
}

TEST(NfaStateTest, CapBoundsCombinatorialBlowUp) {
  NfaOptions options;
  options.max_partial_matches = 50;
  auto pattern = P({S("c"), Inner(Loop(S("a")), Contiguity::kNonDeterministic), S("b")});
  NfaMatcher matcher(NfaProgram::Compile(pattern).value(), options);
  std::vector<Match> out;
  std::string stream = "c1";
  for (int i = 1; i <= 30; ++i) stream += " a" + std::to_string(i);
  for (auto& e : Stream(stream)) matcher.OnEvent(e, out);
  EXPECT_LE(matcher.partial_match_count(), 50u);
  EXPECT_GT(matcher.stats().dropped_partial_matches, 0u);
}

TEST(NfaStateTest, BranchesShareEventsAndPrefixes) {
  auto pattern = P({S("c"), Inner(Loop(S("a")), Contiguity::kNonDeterministic), S("b")});
  NfaMatcher matcher(pattern);
  std::vector<Match> out;
  for (auto& e : Stream("c1 a1 a2 a3 a4 a5 a6")) matcher.OnEvent(e, out);
  // 2^5 subsets of a2..a6 (each with c1 a1), every one a run, plus ignore copies.
  EXPECT_GE(matcher.partial_match_count(), 32u);
  const size_t bytes = matcher.ByteSize();
  EXPECT_GT(bytes, 0u);
  // Seven events, each stored once however many runs hold it: the state is far
  // smaller than one copy of the events per run would be.
  EXPECT_LT(bytes, matcher.partial_match_count() * 7 * sizeof(Event));
}

TEST(NfaStateTest, StateIsFreedWhenRunsEnd) {
  NfaMatcher matcher(P({S("a"), Loop(S("b")), S("c")}, Duration::Millis(10)));
  std::vector<Match> out;
  for (auto& e : Stream("a1@1 b1@2 b2@3 c1@4")) matcher.OnEvent(e, out);
  const size_t busy = matcher.ByteSize();
  matcher.AdvanceTime(EventTime::FromMillis(100), out);
  EXPECT_EQ(matcher.partial_match_count(), 0u);
  EXPECT_LE(matcher.ByteSize(), busy);
  // Reused slots: running again does not grow the tables.
  for (auto& e : Stream("a2@200 b3@201 c2@202")) matcher.OnEvent(e, out);
  EXPECT_LE(matcher.ByteSize(), busy);
}

}  // namespace
}  // namespace cep::nfa_test

namespace cep::nfa_test {
namespace {

TEST(NfaStateTest, LongPatternsMaterializeEveryStage) {
  std::vector<Stage> stages;
  std::string stream;
  for (int i = 0; i < 20; ++i) {
    stages.push_back(Next("a"));
    stages.back().name = "s" + std::to_string(i);
    stream += "a" + std::to_string(i) + " ";
  }
  const auto matches = Matches(P(stages), stream);
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(matches[0].substr(0, 6), "a0 a1 ");
  EXPECT_EQ(matches[0].substr(matches[0].size() - 3), "a19");
}

}  // namespace
}  // namespace cep::nfa_test
