// CEP_SEMANTICS.md §8 (emission order, hold-back) and §9 (after-match skip).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/cep/nfa/nfa_test_util.h"

namespace cep::nfa_test {
namespace {

using ::testing::ElementsAre;

AfterMatchSkip Skip(SkipStrategy strategy, StageIndex stage = 0) { return {strategy, stage}; }

TEST(NfaSkipTest, S9_SkipToNextOnLoopAtEndYieldsOnlyFirst) {
  auto pattern = P({S("a"), Loop(S("b"))}, std::nullopt, Skip(SkipStrategy::kSkipToNext));
  EXPECT_THAT(Matches(pattern, "a1 b1 b2 b3"), ElementsAre("a1 b1"));
  EXPECT_THAT(Matches(P({S("a"), Loop(S("b"))}), "a1 b1 b2"), ElementsAre("a1 b1", "a1 b1 b2"));
}

TEST(NfaSkipTest, S9_SkipPastLastEventSixAsTimesThree) {
  auto pattern = P({Loop(S("a"), 3, 3)}, std::nullopt, Skip(SkipStrategy::kSkipPastLastEvent));
  EXPECT_THAT(Matches(pattern, "a1 a2 a3 a4 a5 a6"), ElementsAre("a1 a2 a3", "a4 a5 a6"));
  EXPECT_THAT(Matches(P({Loop(S("a"), 3, 3)}), "a1 a2 a3 a4 a5 a6"),
              ElementsAre("a1 a2 a3", "a2 a3 a4", "a3 a4 a5", "a4 a5 a6"));
}

// a1 a2 b1 on `a, b`: (a1 b1) and (a2 b1) complete together.
TEST(NfaSkipTest, S9_TableOnTwoMatchesCompletingTogether) {
  const std::string stream = "a1 a2 b1";
  auto run = [&](AfterMatchSkip skip) { return Matches(P({S("a"), S("b")}, std::nullopt, skip), stream); };
  EXPECT_THAT(run(Skip(SkipStrategy::kNoSkip)), ElementsAre("a1 b1", "a2 b1"));
  EXPECT_THAT(run(Skip(SkipStrategy::kSkipToNext)), ElementsAre("a1 b1", "a2 b1"));
  EXPECT_THAT(run(Skip(SkipStrategy::kSkipPastLastEvent)), ElementsAre("a1 b1"));
  EXPECT_THAT(run(Skip(SkipStrategy::kSkipToFirst, 1)), ElementsAre("a1 b1"));
  EXPECT_THAT(run(Skip(SkipStrategy::kSkipToLast, 1)), ElementsAre("a1 b1"));
  // Skipping to M's own first event prunes nothing.
  EXPECT_THAT(run(Skip(SkipStrategy::kSkipToFirst, 0)), ElementsAre("a1 b1", "a2 b1"));
  EXPECT_THAT(run(Skip(SkipStrategy::kSkipToLast, 0)), ElementsAre("a1 b1", "a2 b1"));
}

TEST(NfaSkipTest, S9_SkipToNextPrunesRunsStartedAtTheSameEvent) {
  auto pattern = P({S("a"), Any("b")}, std::nullopt, Skip(SkipStrategy::kSkipToNext));
  EXPECT_THAT(Matches(pattern, "a1 b1 b2 a2 b3"), ElementsAre("a1 b1", "a2 b3"));
}

TEST(NfaSkipTest, S9_SkipToLastStagePrunesBeforeItsLastEvent) {
  // a, b+ : on a1 a2 b1 b2 ... M = a1 b1 (last b = b1) prunes runs started before b1.
  auto pattern = P({S("a"), Any("b")}, std::nullopt, Skip(SkipStrategy::kSkipToLast, 1));
  EXPECT_THAT(Matches(pattern, "a1 a2 b1 a3 b2"), ElementsAre("a1 b1", "a3 b2"));
}

TEST(NfaSkipTest, S9_StageWithoutEventsPrunesNothing) {
  // a1's run stays alive (x? may still come), holding a2 b1 back until it dies.
  auto pattern =
      P({S("a"), Opt(S("x")), S("b")}, Duration::Millis(100), Skip(SkipStrategy::kSkipToFirst, 1));
  EXPECT_THAT(Matches(pattern, "a1 a2 b1"), ElementsAre("a1 b1"));
  EXPECT_THAT(Matches(pattern, "a1 a2 b1", 1000), ElementsAre("a1 b1", "a2 b1"));
}

// Stages whose events must carry the first event's value: runs stay apart.
Stage SameValue(std::string name) {
  Stage stage = S(name);
  stage.where = MakeCondition([name](const Event& e, const MatchView& view) {
    int64_t first = -1;
    view.ForEachEvent(0, [&](const Event& a) { first = a.field(kValueSlot).int_value(); });
    return e.field(kTypeSlot).string_value() == name && e.field(kValueSlot).int_value() == first;
  });
  return stage;
}

TEST(NfaSkipTest, S8_NoSkipEmitsInCompletionOrder) {
  auto pattern = P({S("a"), SameValue("c"), SameValue("b")});
  EXPECT_THAT(Matches(pattern, "a1=1 a2=2 c2=2 b1=2 c1=1 b2=1"), ElementsAre("a2 c2 b1", "a1 c1 b2"));
}

TEST(NfaSkipTest, S8_HeldBackWhileAnEarlierRunIsAlive) {
  auto pattern =
      P({S("a"), SameValue("c"), SameValue("b")}, std::nullopt, Skip(SkipStrategy::kSkipToNext));
  NfaMatcher matcher(pattern);
  std::vector<Match> out;
  auto events = Stream("a1=1 a2=2 c2=2 b1=2 c1=1 b2=1");
  for (size_t i = 0; i < 4; ++i) matcher.OnEvent(events[i], out);
  EXPECT_TRUE(out.empty());  // a2 c2 b1 is complete, a1 still alive
  EXPECT_EQ(matcher.held_match_count(), 1u);
  matcher.OnEvent(events[4], out);
  matcher.OnEvent(events[5], out);
  EXPECT_THAT(FormatAll(out), ElementsAre("a1 c1 b2", "a2 c2 b1"));
}

TEST(NfaSkipTest, S8_HeldMatchReleasedWhenTheEarlierRunDies) {
  auto pattern = P({S("a"), SameValue("c"), SameValue("b")}, Duration::Millis(10),
                   Skip(SkipStrategy::kSkipToNext));
  NfaMatcher matcher(pattern);
  std::vector<Match> out;
  for (auto& e : Stream("a1=1@1 a2=2@2 c2=2@3 b1=2@4")) matcher.OnEvent(e, out);
  EXPECT_TRUE(out.empty());
  matcher.AdvanceTime(EventTime::FromMillis(11), out);  // a1's window closes
  EXPECT_THAT(FormatAll(out, true), ElementsAre("a2 c2 b1@4"));
}

TEST(NfaSkipTest, S8_ReadyTogetherEmittedByFirstEvent) {
  // Loop on a at the end with followed_by_any: several runs complete on one event.
  auto pattern = P({S("a"), Any("b")});
  EXPECT_THAT(Matches(pattern, "a1 a2 a3 b1"), ElementsAre("a1 b1", "a2 b1", "a3 b1"));
}

}  // namespace
}  // namespace cep::nfa_test
