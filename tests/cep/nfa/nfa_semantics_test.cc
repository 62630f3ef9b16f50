// One test per example and corner case of CEP_SEMANTICS.md §1-§4 and §10; the
// section is in each test's name. Negations (§6) are in nfa_negation_test.cc,
// time (§5) in nfa_time_test.cc, emission and skips (§8-9) in nfa_skip_test.cc.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include "tests/cep/nfa/nfa_test_util.h"

namespace cep::nfa_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using C = Contiguity;

TEST(NfaSemanticsTest, S1_EveryEventAlsoStartsAMatch) {
  EXPECT_THAT(Matches(P({S("a"), S("b")}), "a1 a2 b1"), ElementsAre("a1 b1", "a2 b1"));
}

TEST(NfaSemanticsTest, S1_StagesAppearInPatternOrderSkippedOptionalAbsent) {
  NfaMatcher matcher(P({S("a"), Opt(S("b")), S("c")}));
  std::vector<Match> out;
  for (auto& e : Stream("a1 c1")) matcher.OnEvent(e, out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].stages.size(), 3u);
  EXPECT_EQ(out[0].stages[0].size(), 1u);
  EXPECT_TRUE(out[0].stages[1].empty());
  EXPECT_EQ(out[0].stages[2][0]->id(), "c1");
  EXPECT_EQ(out[0].ts, EventTime::FromMillis(2));
}

TEST(NfaSemanticsTest, S1_ConditionsWithNullWhereAcceptEverything) {
  Stage any;
  any.name = "x";
  EXPECT_THAT(Matches(P({S("a"), any}), "a1 c1 b1"), ElementsAre("a1 c1"));
}

TEST(NfaSemanticsTest, S2_NextFollowedByFollowedByAny) {
  const std::string stream = "a1 c1 b1 b2";
  EXPECT_THAT(Matches(P({S("a"), Next("b")}), stream), IsEmpty());
  EXPECT_THAT(Matches(P({S("a"), S("b")}), stream), ElementsAre("a1 b1"));
  EXPECT_THAT(Matches(P({S("a"), Any("b")}), stream), ElementsAre("a1 b1", "a1 b2"));
}

TEST(NfaSemanticsTest, S2_NextAfterLoopFollowsTheLoopsLastTake) {
  // begin d, followed_by_any one_or_more a (optional), next b on d a1 a2 b:
  // b must directly follow the loop's last take.
  EXPECT_THAT(Matches(P({S("d"), Opt(Loop(Any("a"))), Next("b")}), "d1 a1 a2 b1"),
              UnorderedElementsAre("d1 a1 a2 b1", "d1 a2 b1"));
  // With followed_by the loop cannot skip a1.
  EXPECT_THAT(Matches(P({S("d"), Opt(Loop(S("a"))), Next("b")}), "d1 a1 a2 b1"),
              ElementsAre("d1 a1 a2 b1"));
}

TEST(NfaSemanticsTest, S2_ContiguityMeasuredFromLastAcceptingStage) {
  // b optional skipped: c's strictness is measured from a.
  EXPECT_THAT(Matches(P({S("a"), Opt(Next("b")), Next("c")}), "a1 c1"), ElementsAre("a1 c1"));
  EXPECT_THAT(Matches(P({S("a"), Opt(Next("b")), Next("c")}), "a1 x1 c1"), IsEmpty());
}

TEST(NfaSemanticsTest, S2_FollowedByWithoutConditionsPairsWithSuccessor) {
  Stage any_a, any_b;
  any_a.name = "x";
  any_b.name = "y";
  EXPECT_THAT(Matches(P({any_a, any_b}), "a1 a2 a3"), ElementsAre("a1 a2", "a2 a3"));
}

TEST(NfaSemanticsTest, S3_LoopAtEndEmitsOnEveryTake) {
  EXPECT_THAT(Matches(P({S("c"), Opt(Loop(S("a")))}), "c1 a1 a2"),
              ElementsAre("c1", "c1 a1", "c1 a1 a2"));
}

TEST(NfaSemanticsTest, S3_RelaxedLoopThenRelaxedStageYieldsAllPrefixes) {
  EXPECT_THAT(Matches(P({S("c"), Loop(S("a")), S("d")}), "c1 a1 a2 a3 d1"),
              UnorderedElementsAre("c1 a1 d1", "c1 a1 a2 d1", "c1 a1 a2 a3 d1"));
}

TEST(NfaSemanticsTest, S3_InnerContiguityConsecutive) {
  EXPECT_THAT(Matches(P({S("c"), Inner(Loop(S("a")), C::kStrict), S("d")}), "c1 a1 x1 a2 d1"),
              UnorderedElementsAre("c1 a1 d1"));
}

TEST(NfaSemanticsTest, S3_HandOverOnlyAfterATake_RelaxedLoopThenNext) {
  // A non-matching event right after the loop's last take kills the hand-over.
  EXPECT_THAT(Matches(P({S("c"), Loop(S("a")), Next("b")}), "c1 a1 x1 b1"), IsEmpty());
  EXPECT_THAT(Matches(P({S("c"), Loop(S("a")), Next("b")}), "c1 a1 x1 a2 b1"),
              ElementsAre("c1 a1 a2 b1"));
}

TEST(NfaSemanticsTest, S3_AllowCombinationsAfterFollowedByGivesEightMatches) {
  auto pattern = P({S("c"), Inner(Loop(S("a")), C::kNonDeterministic), S("b")});
  const auto matches = Matches(pattern, "c1 d1 a1 a2 a3 d2 a4 b1");
  EXPECT_THAT(matches, UnorderedElementsAre("c1 a1 b1", "c1 a1 a2 b1", "c1 a1 a3 b1",
                                            "c1 a1 a4 b1", "c1 a1 a2 a3 b1", "c1 a1 a2 a4 b1",
                                            "c1 a1 a3 a4 b1", "c1 a1 a2 a3 a4 b1"));
}

TEST(NfaSemanticsTest, S3_TwoAdjacentAllowCombinationsLoopsSecondStartsAfterFirst) {
  // The second loop starts at the first matching event after the first loop's
  // last take, so far fewer results than all splits of all subsets.
  Stage first = Inner(Loop(S("a")), C::kNonDeterministic);
  Stage second = Inner(Loop(S("a")), C::kNonDeterministic);
  second.name = "a2";
  const auto matches = Matches(P({S("c"), first, second, S("b")}), "c1 a1 a2 a3 b1");
  // {a1}{a2}, {a1}{a2 a3}, {a1 a2}{a3}; never a second loop starting at a3.
  EXPECT_THAT(matches, UnorderedElementsAre("c1 a1 a2 b1", "c1 a1 a2 a3 b1", "c1 a1 a2 a3 b1"));
}

TEST(NfaSemanticsTest, S3_OptionalFirstStage) {
  EXPECT_THAT(Matches(P({Opt(S("a")), S("b")}), "b1"), ElementsAre("b1"));
  EXPECT_THAT(Matches(P({Opt(S("a")), S("b")}), "a1 b1"), UnorderedElementsAre("a1 b1", "b1"));
}

TEST(NfaSemanticsTest, S3_SingleOptionalLoopNeverEmitsEmpty) {
  EXPECT_THAT(Matches(P({Opt(Loop(S("a")))}), "x1 a1 a2"), ElementsAre("a1", "a1 a2", "a2"));
}

TEST(NfaSemanticsTest, S3_TimesZeroToMIsTimesOneToMOptional) {
  Stage zero = Loop(S("a"), 0, 2);
  const std::string stream = "c1 a1 a2 a3 d1";
  EXPECT_EQ(Matches(P({S("c"), zero, S("d")}), stream),
            Matches(P({S("c"), Opt(Loop(S("a"), 1, 2)), S("d")}), stream));
  EXPECT_THAT(Matches(P({S("c"), zero, S("d")}), "c1 d1"), ElementsAre("c1 d1"));
}

TEST(NfaSemanticsTest, S3_TimesExactAndRange) {
  EXPECT_THAT(Matches(P({Loop(S("a"), 3, 3)}), "a1 a2 x1 a3 a4"), ElementsAre("a1 a2 a3", "a2 a3 a4"));
  EXPECT_THAT(Matches(P({Loop(S("a"), 2, 3)}), "a1 a2 a3"),
              ElementsAre("a1 a2", "a1 a2 a3", "a2 a3"));
  EXPECT_THAT(Matches(P({S("c"), Loop(S("a"), 2, kUnboundedTimes)}), "c1 a1 a2 a3"),
              ElementsAre("c1 a1 a2", "c1 a1 a2 a3"));
}

TEST(NfaSemanticsTest, S3_UntilEventIsNotConsumedButNextStageMayTakeIt) {
  // Loop on `a`, until `b`; the next stage takes b.
  auto pattern = P({S("c"), Until(Loop(S("a")), "b"), S("b")});
  EXPECT_THAT(Matches(pattern, "c1 a1 a2 b1 a3 b2"),
              UnorderedElementsAre("c1 a1 b1", "c1 a1 a2 b1"));
}

TEST(NfaSemanticsTest, S3_UntilClosesTheLoopForGood) {
  // An until event that the loop's where also accepts closes the loop.
  Stage loop = Loop(S("a"));
  loop.until = MakeCondition([](const Event& e, const MatchView&) { return e.id() == "a2"; });
  EXPECT_THAT(Matches(P({S("c"), loop}), "c1 a1 a2 a3"), ElementsAre("c1 a1"));
}

TEST(NfaSemanticsTest, S3_MandatoryLoopWhoseFirstCandidateIsUntilDies) {
  Stage loop = Loop(S("a"));
  loop.until = MakeCondition([](const Event& e, const MatchView&) { return e.id() == "a1"; });
  EXPECT_THAT(Matches(P({S("c"), loop, S("d")}), "c1 a1 a2 d1"), IsEmpty());
}

TEST(NfaSemanticsTest, S3_FollowedByAnyUntilNewLoopStartsAfterUntilEvent) {
  // Docs example a1 c a2 b a3: loop on a, until b, followed_by_any.
  Stage loop = Until(Loop(Any("a")), "b");
  const auto matches = Matches(P({S("c"), loop}), "a1 c1 a2 b1 a3");
  EXPECT_THAT(matches, UnorderedElementsAre("c1 a2", "c1 a3"));
}

TEST(NfaSemanticsTest, S4_GreedyTakesOnlyTheLongestRun) {
  EXPECT_THAT(Matches(P({S("c"), Greedy(Opt(Loop(S("a")))), S("d")}), "c1 a1 a2 a3 d1"),
              ElementsAre("c1 a1 a2 a3 d1"));
  EXPECT_THAT(Matches(P({S("c"), Opt(Loop(S("a"))), S("d")}), "c1 a1 a2 a3 d1"),
              UnorderedElementsAre("c1 a1 a2 a3 d1", "c1 a1 a2 d1", "c1 a1 d1", "c1 d1"));
}

TEST(NfaSemanticsTest, S4_GreedyRelaxedLoopSurvivesNonMatchingEvents) {
  EXPECT_THAT(Matches(P({S("c"), Greedy(Loop(S("a"))), S("d")}), "c1 a1 x1 a2 x2 d1"),
              ElementsAre("c1 a1 a2 d1"));
}

TEST(NfaSemanticsTest, S4_GreedyOptionalUntilBeforeAnyTakeBypassesTheLoop) {
  // The until event x is a loop candidate (the loop accepts a and x).
  Stage loop = Until(Greedy(Opt(Loop(S("a")))), "x");
  loop.where = MakeCondition([](const Event& e, const MatchView&) {
    return e.field(kTypeSlot).string_value() != "c" && e.field(kTypeSlot).string_value() != "d";
  });
  EXPECT_THAT(Matches(P({S("c"), loop, S("d")}), "c1 x1 a1 d1"), ElementsAre("c1 d1"));
}

TEST(NfaSemanticsTest, S4_GreedyUntilEventThatIsNoCandidateIsSkippedByTheLoop) {
  // Pinned Flink behaviour: an until event the loop could not take anyway is
  // also skipped by the loop's first iteration, so a1 can still start it.
  EXPECT_THAT(Matches(P({S("c"), Until(Greedy(Opt(Loop(S("a")))), "x"), S("d")}), "c1 x1 a1 d1"),
              UnorderedElementsAre("c1 d1", "c1 a1 d1"));
}

TEST(NfaSemanticsTest, S4_GreedyTimesRangeTakesAllFour) {
  EXPECT_THAT(Matches(P({S("c"), Greedy(Loop(S("a"), 2, 5)), S("d")}), "c1 a1 a2 a3 a4 d1"),
              ElementsAre("c1 a1 a2 a3 a4 d1"));
}

TEST(NfaSemanticsTest, S4_GreedyOnLastStageIsIgnored) {
  const std::string stream = "c1 a1 a2 x1";
  EXPECT_EQ(Matches(P({S("c"), Greedy(Loop(S("a")))}), stream), Matches(P({S("c"), Loop(S("a"))}), stream));
  EXPECT_THAT(Matches(P({S("c"), Greedy(Loop(S("a")))}), stream), ElementsAre("c1 a1", "c1 a1 a2"));
}

TEST(NfaSemanticsTest, S10_1_RelaxedStageNeverSkipsAnEventItCouldAccept) {
  // c a* b? a: no match skips an a.
  EXPECT_THAT(Matches(P({S("c"), Opt(Loop(S("a"))), Opt(S("b")), S("a")}), "c1 a1 a2 a3"),
              UnorderedElementsAre("c1 a1", "c1 a1 a2", "c1 a1 a2 a3"));
  // Pinned Flink behaviour: b? (relaxed) may skip a's, which it cannot accept,
  // on its way to a b.
  EXPECT_THAT(Matches(P({S("c"), Opt(Loop(S("a"))), Opt(S("b")), S("a")}), "c1 a1 b1 a2"),
              UnorderedElementsAre("c1 a1", "c1 a1 a2", "c1 a1 b1 a2", "c1 b1 a2"));
}

TEST(NfaSemanticsTest, IterativeConditionSumsTheLoopsOwnEvents) {
  // Loop accepts an `a` while the sum of the values it took so far stays <= 10.
  Stage loop = Loop(S("a"));
  loop.where = MakeCondition([](const Event& e, const MatchView& view) {
    if (e.field(kTypeSlot).string_value() != "a") return false;
    int64_t sum = e.field(kValueSlot).int_value();
    view.ForEachEvent(1, [&](const Event& taken) { sum += taken.field(kValueSlot).int_value(); });
    return sum <= 10;
  });
  EXPECT_THAT(Matches(P({S("c"), loop, S("d")}), "c1 a1=4 a2=5 a3=3 d1"),
              UnorderedElementsAre("c1 a1 d1", "c1 a1 a2 d1"));
}

TEST(NfaSemanticsTest, IterativeConditionSeesEarlierStagesInAcceptanceOrder) {
  Stage b = S("b");
  b.where = MakeCondition([](const Event& e, const MatchView& view) {
    std::string ids;
    view.ForEachEvent(0, [&](const Event& a) { ids += std::string(a.id()); });
    return e.field(kTypeSlot).string_value() == "b" && ids == "a1a2a3";
  });
  EXPECT_THAT(Matches(P({Inner(Loop(S("a"), 3, 3), C::kStrict), b}), "a1 a2 a3 b1"),
              ElementsAre("a1 a2 a3 b1"));
}

}  // namespace
}  // namespace cep::nfa_test
