// Every example and corner case of CEP_SEMANTICS.md, plus classic Apache Flink
// CEP test cases (NFAITCase, GreedyITCase, TimesRangeITCase, AfterMatchSkipITCase,
// NotPatternITCase, UntilConditionITCase), run against every matcher type.
// Expected results list matches in emission order, stages in pattern order,
// events by id: "a1 b1 | a1 b2". Within one batch (one OnEvent/AdvanceTime
// call) matches with the same first event are put in a canonical order, since
// §8 leaves it open.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "cep/nfa/nfa_matcher.h"
#include "tests/cep/nfa/reference_matcher.h"
#include "tests/cep/nfa/semantics_fixtures.h"

namespace cep {
namespace {

using testing::Format;
using testing::IsType;
using testing::PatternBuilder;
using testing::TypeAndValueAbove;
using testing::TypeWithValueOf;
using testing::ValueAbove;

template <typename M>
class SemanticsTest : public ::testing::Test {
 protected:
  std::string Run(const PatternBuilder& builder, std::string_view script,
                  Format format = Format::kPlain) {
    const auto pattern = builder.Build();
    return testing::FormatMatches(
        testing::RunScriptRaw<M>(pattern, script, MatchEmittedBefore, &partials_left_), *pattern,
        format);
  }
  size_t partials_left_ = 0;
};

// Both matchers answer every example: the reference (tests/cep/nfa/) and the
// fast NFA (cep/nfa/).
using Matchers = ::testing::Types<ReferenceMatcher, NfaMatcher>;
TYPED_TEST_SUITE(SemanticsTest, Matchers);

// ---------------------------------------------------------------------------
// §2 Contiguity

TYPED_TEST(SemanticsTest, S2_NextNeedsTheVeryNextEvent) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").Next("b"), "a c b1 b2"), "");
}

TYPED_TEST(SemanticsTest, S2_FollowedByTakesTheFirstMatchingEvent) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").FollowedBy("b"), "a c b1 b2"), "a b1");
}

TYPED_TEST(SemanticsTest, S2_FollowedByAnyTakesEveryMatchingEvent) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").FollowedByAny("b"), "a c b1 b2"),
            "a b1 | a b2");
}

TYPED_TEST(SemanticsTest, S2_FollowedByWithoutConditionsPairsEachEventWithItsSuccessor) {
  const auto any = testing::MakeAny();
  EXPECT_EQ(this->Run(PatternBuilder().Begin("x", any).FollowedBy("y", any), "e1 e2 e3"),
            "e1 e2 | e2 e3");
}

TYPED_TEST(SemanticsTest, S2_NextAfterLoopFollowsTheLoopsLastTake) {
  // begin d, one_or_more a (optional), next b on d a1 a2 b: only d a1 a2 b and
  // d a2 b. (d a2 b skips a1, so the loop's own contiguity is followed_by_any.)
  EXPECT_EQ(this->Run(PatternBuilder().Begin("d").FollowedByAny("a").OneOrMore().Optional().Next("b"),
                      "d a1 a2 b"),
            "d a2 b | d a1 a2 b");
}

TYPED_TEST(SemanticsTest, S2_ContiguityIsMeasuredFromTheLastStageThatAcceptedAnEvent) {
  // a, followed_by b optional, next c: b skipped, c must directly follow a.
  const auto pattern = PatternBuilder().Begin("a").FollowedBy("b").Optional().Next("c");
  EXPECT_EQ(this->Run(pattern, "a1 c1"), "a1 c1");
  EXPECT_EQ(this->Run(pattern, "a1 x c1"), "");
  EXPECT_EQ(this->Run(pattern, "a1 x b1 c1"), "a1 b1 c1");
}

TYPED_TEST(SemanticsTest, S2_BeginHasNoContiguity) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").Next("b"), "x a1 b1 y a2 b2"), "a1 b1 | a2 b2");
}

// ---------------------------------------------------------------------------
// §3 Quantifiers

TYPED_TEST(SemanticsTest, S3_LoopAtTheEndEmitsOnEveryTake) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().Optional(), "c a1 a2"),
            "c | c a1 | c a1 a2");
}

TYPED_TEST(SemanticsTest, S3_RelaxedLoopThenRelaxedStageYieldsAllPrefixes) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().FollowedBy("d"),
                      "c a1 a2 a3 d"),
            "c a1 d | c a1 a2 d | c a1 a2 a3 d");
}

TYPED_TEST(SemanticsTest, S3_FlinkDocsConsecutiveVersusRelaxedLoop) {
  // Flink docs, consecutive(): C D A1 A2 A3 D A4 B.
  const auto relaxed = PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().FollowedBy("b");
  EXPECT_EQ(this->Run(relaxed, "c d1 a1 a2 a3 d2 a4 b"),
            "c a1 b | c a1 a2 b | c a1 a2 a3 b | c a1 a2 a3 a4 b");
  const auto strict =
      PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().Consecutive().FollowedBy("b");
  EXPECT_EQ(this->Run(strict, "c d1 a1 a2 a3 d2 a4 b"), "c a1 b | c a1 a2 b | c a1 a2 a3 b");
}

TYPED_TEST(SemanticsTest, S3_AllowCombinationsAfterFollowedByGivesTheEightMatchesWithA1) {
  // The tested behaviour (8), not the 15 of Flink's documentation (§3, §10.8).
  const auto pattern =
      PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().AllowCombinations().FollowedBy("b");
  EXPECT_EQ(this->Run(pattern, "c d1 a1 a2 a3 d2 a4 b"),
            "c a1 b | c a1 a2 b | c a1 a3 b | c a1 a4 b | c a1 a2 a3 b | c a1 a2 a4 b | "
            "c a1 a3 a4 b | c a1 a2 a3 a4 b");
}

TYPED_TEST(SemanticsTest, S3_HandOverOnlyRightAfterATake_AdjacentAllowCombinationsLoops) {
  // §3 / §10.2: the second loop starts at the first a after the first loop's
  // last take, so l1=a1 l2=a3 (skipping a2) is never produced.
  const auto pattern = PatternBuilder()
                           .Begin("s")
                           .FollowedBy("l1", IsType("a")).OneOrMore().AllowCombinations()
                           .FollowedBy("l2", IsType("a")).OneOrMore().AllowCombinations()
                           .FollowedBy("e");
  EXPECT_EQ(this->Run(pattern, "s a1 a2 a3 e", Format::kStages),
            "s:s l1:a1 l2:a2 e:e | s:s l1:a1 l2:a2,a3 e:e | s:s l1:a1,a2 l2:a3 e:e");
}

TYPED_TEST(SemanticsTest, S3_HandOverOnlyRightAfterATake_RelaxedLoopThenNext) {
  const auto pattern = PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().Next("b");
  EXPECT_EQ(this->Run(pattern, "c a1 x b"), "");
  EXPECT_EQ(this->Run(pattern, "c a1 x a2 b"), "c a1 a2 b");
}

TYPED_TEST(SemanticsTest, S3_OptionalFirstStageAllowsMatchesStartingLater) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").Optional().FollowedBy("b"), "b"), "b");
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").Optional().FollowedBy("b"), "a1 b1"),
            "a1 b1 | b1");
}

TYPED_TEST(SemanticsTest, S3_SingleOptionalLoopNeverEmitsAnEmptyMatch) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").OneOrMore().Optional(), "x y"), "");
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").OneOrMore().Optional(), "a1 a2"),
            "a1 | a1 a2 | a2");
}

TYPED_TEST(SemanticsTest, S3_TimesZeroToMBehavesLikeTimesOneToMOptional) {
  const auto zero = PatternBuilder().Begin("c").FollowedBy("a").Times(0, 2).FollowedBy("d");
  const auto optional =
      PatternBuilder().Begin("c").FollowedBy("a").Times(1, 2).Optional().FollowedBy("d");
  EXPECT_EQ(this->Run(zero, "c a1 a2 d"), "c d | c a1 d | c a1 a2 d");
  EXPECT_EQ(this->Run(optional, "c a1 a2 d"), this->Run(zero, "c a1 a2 d"));
}

TYPED_TEST(SemanticsTest, S3_TimesRange_FlinkTimesRangeITCase) {
  const auto base = [] { return PatternBuilder().Begin("c").FollowedBy("a"); };
  EXPECT_EQ(this->Run(base().Times(1, 3).FollowedBy("b"), "c a1 a2 a3 b"),
            "c a1 b | c a1 a2 b | c a1 a2 a3 b");
  EXPECT_EQ(this->Run(base().Times(1, 3).AllowCombinations().FollowedBy("b"), "c a1 a2 a3 b"),
            "c a1 b | c a1 a2 b | c a1 a3 b | c a1 a2 a3 b");
  EXPECT_EQ(this->Run(base().Times(1, 3).Consecutive().FollowedBy("b"), "c a1 x a2 a3 b"),
            "c a1 b");
  EXPECT_EQ(this->Run(base().Times(2).FollowedBy("b"), "c a1 x a2 a3 b"), "c a1 a2 b");
}

TYPED_TEST(SemanticsTest, S3_StartWithOneOrMoreConsecutive_FlinkNFAITCase) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").OneOrMore().Consecutive(), "a1 c a2 a3"),
            "a1 | a2 | a2 a3 | a3");
}

TYPED_TEST(SemanticsTest, S3_UntilClosesTheLoopAndTheNextStageMayTakeTheEvent) {
  const auto pattern =
      PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().Until(IsType("b")).FollowedBy("b");
  EXPECT_EQ(this->Run(pattern, "c a1 a2 b1 a3 b2"), "c a1 b1 | c a1 a2 b1");
}

TYPED_TEST(SemanticsTest, S3_UntilEventIsNotTakenByTheLoop) {
  // a loop at the end: after b the loop is closed, a3 is never added.
  const auto pattern = PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().Until(IsType("b"));
  EXPECT_EQ(this->Run(pattern, "c a1 b a2"), "c a1");
}

TYPED_TEST(SemanticsTest, S3_MandatoryLoopWhoseFirstCandidateSatisfiesUntilDies) {
  const auto pattern = [](bool any) {
    PatternBuilder b;
    b.Begin("c");
    if (any) {
      b.FollowedByAny("a");
    } else {
      b.FollowedBy("a");
    }
    return b.OneOrMore().Until(ValueAbove(5));
  };
  EXPECT_EQ(this->Run(pattern(false), "c a1:9 a2"), "");
  EXPECT_EQ(this->Run(pattern(true), "c a1:9 a2"), "c a2");
}

TYPED_TEST(SemanticsTest, S3_UntilWithFollowedByAnyStillStartsANewLoopAfterTheUntilEvent) {
  // Flink docs: a1 c a2 b a3, loop on a until b.
  const auto any = PatternBuilder().Begin("s").FollowedByAny("a").OneOrMore().Until(IsType("b"));
  EXPECT_EQ(this->Run(any, "s a1 c a2 b a3"), "s a1 | s a2 | s a1 a2 | s a3");
  const auto relaxed = PatternBuilder().Begin("s").FollowedBy("a").OneOrMore().Until(IsType("b"));
  EXPECT_EQ(this->Run(relaxed, "s a1 c a2 b a3"), "s a1 | s a1 a2");
}

// ---------------------------------------------------------------------------
// §4 greedy

TYPED_TEST(SemanticsTest, S4_GreedyKeepsOnlyTheLongestRun) {
  const auto greedy =
      PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().Optional().Greedy().FollowedBy("d");
  EXPECT_EQ(this->Run(greedy, "c a1 a2 a3 d"), "c a1 a2 a3 d");
  const auto reluctant =
      PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().Optional().FollowedBy("d");
  EXPECT_EQ(this->Run(reluctant, "c a1 a2 a3 d"), "c d | c a1 d | c a1 a2 d | c a1 a2 a3 d");
}

TYPED_TEST(SemanticsTest, S4_NonMatchingEventsDoNotEndARelaxedGreedyLoop) {
  // GreedyITCase testGreedyZeroOrMoreInBetween / testGreedyOneOrMoreInBetween.
  const auto star =
      PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().Optional().Greedy().FollowedBy("d");
  EXPECT_EQ(this->Run(star, "c x1 a1 x2 a2 x3 a3 d"), "c a1 a2 a3 d");
  const auto plus = PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().Greedy().FollowedBy("d");
  EXPECT_EQ(this->Run(plus, "c x1 a1 x2 a2 x3 a3 d"), "c a1 a2 a3 d");
  EXPECT_EQ(this->Run(plus, "c a1 a2 x d"), "c a1 a2 d");
  EXPECT_EQ(this->Run(plus, "c x d"), "");
  EXPECT_EQ(this->Run(star, "c x d"), "c d");
}

TYPED_TEST(SemanticsTest, S4_GreedyBeforeOptionalStage_FlinkGreedyITCase) {
  const auto pattern = PatternBuilder()
                           .Begin("c")
                           .FollowedBy("a").OneOrMore().Optional().Greedy()
                           .FollowedBy("d").Optional()
                           .FollowedBy("e");
  EXPECT_EQ(this->Run(pattern, "c a1 a2 x e"), "c a1 a2 e");
  EXPECT_EQ(this->Run(pattern, "c a1 a2 d e"), "c a1 a2 e | c a1 a2 d e");
}

TYPED_TEST(SemanticsTest, S4_GreedyUntilAfterQuantifier_FlinkGreedyITCase) {
  // until value > 3: the 4th a (value 4) closes the loop.
  const auto pattern = PatternBuilder()
                           .Begin("c")
                           .FollowedBy("a").OneOrMore().Optional().Greedy().Until(ValueAbove(3))
                           .FollowedBy("d");
  EXPECT_EQ(this->Run(pattern, "c a1:2 a2:3 a3:3 a4:4 d"), "c a1 a2 a3 d");
}

TYPED_TEST(SemanticsTest, S4_GreedyOptionalUntilBeforeTheLoopTookAnythingBypassesIt) {
  // §4.3: c, a* greedy until x, d on c x a1 d gives c d. As in Flink's
  // testGreedyUtilWithDummyEventsBeforeQuantifier, x is a loop candidate (an
  // `a`) that satisfies `until` (value > 3).
  const auto pattern = PatternBuilder()
                           .Begin("c")
                           .FollowedBy("a").OneOrMore().Optional().Greedy().Until(ValueAbove(3))
                           .FollowedBy("d");
  EXPECT_EQ(this->Run(pattern, "c a0:4 a1:2 a2:3 a3:3 d"), "c d");
  // An until event that is not a loop candidate (not an `a`) does not close a
  // loop that has not started: the waiting branch may still start it (Flink's
  // first-iteration skip condition is the stage's contiguity only).
  EXPECT_EQ(this->Run(pattern, "c x:4 a1 d"), "c d | c a1 d");
  // The mandatory variant dies on the until candidate (testGreedyUtilOneOrMore...Before).
  const auto plus = PatternBuilder()
                        .Begin("c")
                        .FollowedBy("a").OneOrMore().Greedy().Until(ValueAbove(3))
                        .FollowedBy("d");
  EXPECT_EQ(this->Run(plus, "c a0:4 a1:2 a2:3 a3:3 d"), "");
}

TYPED_TEST(SemanticsTest, S4_GreedyGuardLetsUntilEventsPass) {
  // Decided by the differential test: §4.1 forbids the next stage to take or
  // skip an event the loop *could take*, and §3 says the loop cannot take an
  // `until` event. So after a hand-over on x (an event the loop cannot take),
  // d's stage skips a2 (value 5 > 3: until) and the match completes. Flink's
  // createLooping guards with the bare `where` and drops this partial; its
  // createTimesState uses the until-extended take, as we do for both.
  const auto plus = PatternBuilder()
                        .Begin("c")
                        .FollowedBy("a").OneOrMore().Greedy().Until(ValueAbove(3))
                        .FollowedBy("d");
  EXPECT_EQ(this->Run(plus, "c a1:1 x a2:5 d"), "c a1 d");
  // The same after bypassing an optional loop on x: §4.3, later until events
  // are skipped normally.
  const auto star = PatternBuilder()
                        .Begin("c")
                        .FollowedBy("a").OneOrMore().Optional().Greedy().Until(ValueAbove(3))
                        .FollowedBy("d");
  EXPECT_EQ(this->Run(star, "c x a1:5 d"), "c d");
}

TYPED_TEST(SemanticsTest, S4_GreedyGuardIsTheSameWithANegationBeforeTheLoop) {
  // Decided by the differential test. An optional tail completes on the event
  // just taken only if the greedy loop's guard lets that event through (the
  // PROCEED conditions are evaluated on it, Flink's findFinalStateAfterProceed):
  // a1:1 could be taken by the loop, a1:0 could not. A not_followed_by before
  // the loop must not change that (in Flink's graph it does: the bypass edge
  // skips the guarded copy of the sink).
  for (const bool negation : {false, true}) {
    PatternBuilder pattern;
    pattern.Begin("a");
    if (negation) pattern.NotFollowedBy("x");
    pattern.FollowedBy("b", ValueAbove(0)).OneOrMore().Optional().Greedy()
        .FollowedBy("d").Optional();
    EXPECT_EQ(this->Run(pattern, "a1:1"), "") << negation;
    EXPECT_EQ(this->Run(pattern, "a1:0"), "a1") << negation;
  }
}

TYPED_TEST(SemanticsTest, S4_GreedyTimesRangeTakesAllFour) {
  const auto pattern = PatternBuilder().Begin("c").FollowedBy("a").Times(2, 5).Greedy().FollowedBy("d");
  EXPECT_EQ(this->Run(pattern, "c a1 a2 a3 a4 d"), "c a1 a2 a3 a4 d");
}

TYPED_TEST(SemanticsTest, S4_GreedyOnTheLastStageHasNoEffect) {
  // §4.4 / §10.7: emitted eagerly, exactly like a reluctant loop.
  const auto pattern = PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().Optional().Greedy();
  EXPECT_EQ(this->Run(pattern, "c a1 a2 x a3"), "c | c a1 | c a1 a2 | c a1 a2 a3");
}

// ---------------------------------------------------------------------------
// §5 within

TYPED_TEST(SemanticsTest, S5_EventAtExactlyFirstPlusWindowIsTooLate) {
  const auto pattern = PatternBuilder().Begin("s").FollowedBy("e").Within(10);
  EXPECT_EQ(this->Run(pattern, "s@1 e@11"), "");
  EXPECT_EQ(this->Run(pattern, "s@2 e@11"), "s e");
  EXPECT_EQ(this->partials_left_, 0u);
}

TYPED_TEST(SemanticsTest, S5_TimeAdvancesBeforeTheEventAndTimeoutsCarryFirstPlusWindow) {
  const auto pattern = PatternBuilder().Begin("s").FollowedBy("e").Within(10).EmitTimeouts();
  EXPECT_EQ(this->Run(pattern, "s@1 e@11"), "timeout@11 s");
  EXPECT_EQ(this->Run(pattern, "s@3 ~25"), "timeout@13 s");
  EXPECT_EQ(this->Run(pattern, "s@3 ~12 ~13"), "timeout@13 s");
}

TYPED_TEST(SemanticsTest, S5_EveryDiscardedBranchIsReportedUnderFollowedByAny) {
  const auto pattern = PatternBuilder()
                           .Begin("s")
                           .FollowedByAny("m")
                           .FollowedByAny("e")
                           .Within(10)
                           .EmitTimeouts();
  EXPECT_EQ(this->Run(pattern, "s@1 m@2 ~30"), "timeout@11 s | timeout@11 s m");
}

TYPED_TEST(SemanticsTest, S5_TheStartStateNeverTimesOut) {
  const auto pattern = PatternBuilder().Begin("s").FollowedBy("e").Within(10).EmitTimeouts();
  EXPECT_EQ(this->Run(pattern, "~1000 s@1001 e@1005"), "s e");
}

TYPED_TEST(SemanticsTest, S5_WatermarkAloneFiresTimeoutsInFirstEventOrder) {
  const auto pattern = PatternBuilder().Begin("s").FollowedBy("e").Within(10).EmitTimeouts();
  EXPECT_EQ(this->Run(pattern, "s1@1 s2@2 ~5 ~50", Format::kTimed),
            "timeout@11 s1 | timeout@12 s2");
}

// ---------------------------------------------------------------------------
// §6 negation

TYPED_TEST(SemanticsTest, S6_NotNextInspectsOnlyTheNextEvent) {
  const auto pattern = PatternBuilder().Begin("a").NotNext("b").FollowedBy("c");
  EXPECT_EQ(this->Run(pattern, "a1 b1 c1"), "");
  EXPECT_EQ(this->Run(pattern, "a1 x b1 c1"), "a1 c1");
}

TYPED_TEST(SemanticsTest, S6_NotNextAfterALoopLooksAfterTheLoopsLastTake) {
  const auto pattern = PatternBuilder().Begin("a").OneOrMore().NotNext("b").FollowedBy("c");
  // a1's hand-over was inspected at a2 (not a b); a2's (and a1 a2's) at b1.
  EXPECT_EQ(this->Run(pattern, "a1 a2 b1 c1"), "a1 c1");
  EXPECT_EQ(this->Run(pattern, "a1 a2 x b1 c1"), "a1 c1 | a1 a2 c1 | a2 c1");
}

TYPED_TEST(SemanticsTest, S6_NotNextAtTheEndWaitsForTheNextEvent) {
  const auto pattern = PatternBuilder().Begin("a").NotNext("b");
  EXPECT_EQ(this->Run(pattern, "a1@1"), "");
  EXPECT_EQ(this->Run(pattern, "a1@1 c@4", Format::kTimed), "a1@4");
  EXPECT_EQ(this->Run(pattern, "a1 b1"), "");
}

TYPED_TEST(SemanticsTest, S6_NotFollowedByBetweenStages) {
  const auto pattern = PatternBuilder().Begin("a").NotFollowedBy("b").FollowedBy("c");
  EXPECT_EQ(this->Run(pattern, "a1 x b1 c1"), "");
  EXPECT_EQ(this->Run(pattern, "a1 x c1 b1"), "a1 c1");
}

TYPED_TEST(SemanticsTest, S6_OnceBHasAcceptedAnEventXNoLongerMatters) {
  const auto pattern = PatternBuilder()
                           .Begin("a")
                           .NotFollowedBy("b")
                           .FollowedBy("c").Times(2).Optional()
                           .FollowedBy("d");
  EXPECT_EQ(this->Run(pattern, "a1 c1 b1 c2 d"), "a1 c1 c2 d");
}

TYPED_TEST(SemanticsTest, S6_XNoLongerMattersInsideATimesRangeAfterItsFirstTake) {
  // Decided by the differential test: "once B has accepted an event, X no
  // longer matters, even inside B's loop" also for `times N..M`, whose later
  // iterations Flink's compiler still guards with X; §6 wins. After c1 the loop
  // skips y and x1 and takes c2.
  const auto pattern = PatternBuilder()
                           .Begin("a")
                           .NotFollowedBy("x")
                           .FollowedBy("c").Times(1, 3)
                           .FollowedBy("d");
  EXPECT_EQ(this->Run(pattern, "a1 c1 y x1 c2 d"), "a1 c1 d | a1 c1 c2 d");
}

TYPED_TEST(SemanticsTest, S6_OptionalBSkippedExtendsTheConstraint) {
  const auto pattern =
      PatternBuilder().Begin("a").NotFollowedBy("x").FollowedBy("b").Optional().FollowedBy("c");
  EXPECT_EQ(this->Run(pattern, "a1 x1 c1"), "");
  EXPECT_EQ(this->Run(pattern, "a1 c1"), "a1 c1");
  EXPECT_EQ(this->Run(pattern, "a1 b1 x1 c1"), "a1 b1 c1");
}

TYPED_TEST(SemanticsTest, S6_XAnywhereAfterTheFirstEventOfALoopKills) {
  const auto pattern = PatternBuilder().Begin("a").Times(2).NotFollowedBy("x").FollowedBy("b");
  EXPECT_EQ(this->Run(pattern, "a1 x a2 b"), "");
  EXPECT_EQ(this->Run(pattern, "a1 a2 x b"), "");
  EXPECT_EQ(this->Run(pattern, "a1 a2 b"), "a1 a2 b");
}

TYPED_TEST(SemanticsTest, S6_NotFollowedByGuardsEveryStateOfATimesRange) {
  // Decided by the differential test: §6 "every loop state carries the guard",
  // including the state of a `times N..M` loop that skipped an event after an
  // optional iteration (Flink's compiler leaves that one unguarded; §6 wins).
  // a1 then b (skipped inside the loop, which may still take a second a), then
  // the x: the partial dies, so no timeout is reported for it.
  const auto pattern = PatternBuilder()
                           .Begin("a").Times(1, 2).AllowCombinations()
                           .NotFollowedBy("x")
                           .Within(6)
                           .EmitTimeouts();
  EXPECT_EQ(this->Run(pattern, "a1@1 b@2 x@3 ~20"), "");
  EXPECT_EQ(this->Run(pattern, "a1@1 b@2 ~20", Format::kTimed), "a1@7 | timeout@7 a1");
}

TYPED_TEST(SemanticsTest, S6_OptionalTailAfterANegationCompletesImmediately) {
  // §6 / §10.6: a later X cannot retract it.
  const auto pattern =
      PatternBuilder().Begin("a").NotFollowedBy("b").FollowedBy("c").Optional();
  EXPECT_EQ(this->Run(pattern, "a1 b1"), "a1");
  EXPECT_EQ(this->Run(pattern, "a1 c1"), "a1 | a1 c1");
}

TYPED_TEST(SemanticsTest, S6_ANegationHitDiscardsAllBranchesIncludingLoopSkips) {
  const auto pattern =
      PatternBuilder().Begin("a").FollowedBy("b").OneOrMore().NotNext("c").FollowedBy("d");
  EXPECT_EQ(this->Run(pattern, "a b1 c b2 d"), "");
  EXPECT_EQ(this->Run(pattern, "a b1 b2 d"), "a b1 d | a b1 b2 d");
}

TYPED_TEST(SemanticsTest, S6_AnEventThatFiresANegationCanStillCompleteAMatch) {
  // Decided by the differential test. §6 discards the branches a partial would
  // spawn when a negation fires; a match the same event completes still stands,
  // as in Flink's NFA.doProcess (final states go to the result before the
  // stop-state check discards the retained states). Here b1 is both an x
  // (value > 1) and B's first event, so it is not "before B's first event".
  const auto pattern = PatternBuilder()
                           .Begin("a").OneOrMore()
                           .NotFollowedBy("x", ValueAbove(1))
                           .FollowedByAny("b");
  EXPECT_EQ(this->Run(pattern, "a1:5 b1:2"), "a1 b1");
  // The a1 partial itself died on b1: a later b does not match.
  EXPECT_EQ(this->Run(pattern, "a1:5 b1:2 b2:0"), "a1 b1");
  EXPECT_EQ(this->Run(pattern, "a1:5 x1:2 b2:0"), "");
}

TYPED_TEST(SemanticsTest, S6_NotFollowedByAtTheEndBecomesAMatchWhenTheWindowCloses) {
  const auto pattern = PatternBuilder().Begin("a").NotFollowedBy("b").Within(10);
  EXPECT_EQ(this->Run(pattern, "a1@1 x@5 ~11", Format::kTimed), "a1@11");
  EXPECT_EQ(this->Run(pattern, "a1@1 x@5 ~10"), "");
  EXPECT_EQ(this->Run(pattern, "a1@1 b1@5 ~30"), "");
  // The advance to 11 happens before the b at 11 is applied.
  EXPECT_EQ(this->Run(pattern, "a1@1 b1@11", Format::kTimed), "a1@11");
  // A later event advances time too.
  EXPECT_EQ(this->Run(pattern, "a1@1 x@12", Format::kTimed), "a1@11");
}

TYPED_TEST(SemanticsTest, S6_NotFollowedByAtTheEndIsAMatchNotATimeout) {
  const auto pattern = PatternBuilder().Begin("a").NotFollowedBy("b").Within(10).EmitTimeouts();
  EXPECT_EQ(this->Run(pattern, "a1@1 ~20"), "a1");
}

// ---------------------------------------------------------------------------
// §7 event order as given

TYPED_TEST(SemanticsTest, S7_TheMatcherNeverReorders) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").FollowedBy("b"), "a1@5 b1@3"), "a1 b1");
}

TYPED_TEST(SemanticsTest, S7_EqualEventsAreDistinctOccurrences) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").FollowedByAny("b"), "a@1 b@2 b@2"),
            "a b | a b");
}

// ---------------------------------------------------------------------------
// §8 emission order

TYPED_TEST(SemanticsTest, S8_MatchesReadyTogetherComeInFirstEventOrder) {
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").FollowedByAny("b"), "a1 a2 b1"),
            "a1 b1 | a2 b1");
}

TYPED_TEST(SemanticsTest, S8_SkipStrategyHoldsBackLaterStartingMatches) {
  // c and b must carry a's value: a2 c2 b1 completes before a1 c1 b2.
  auto pattern = [](SkipStrategy skip) {
    return PatternBuilder()
        .Begin("a")
        .FollowedBy("c", TypeWithValueOf("c", 0))
        .FollowedBy("b", TypeWithValueOf("b", 0))
        .Skip(skip);
  };
  const std::string events = "a1:1 a2:2 c2:2 b1:2 c1:1 b2:1";
  EXPECT_EQ(this->Run(pattern(SkipStrategy::kNoSkip), events), "a2 c2 b1 | a1 c1 b2");
  EXPECT_EQ(this->Run(pattern(SkipStrategy::kSkipToNext), events), "a1 c1 b2 | a2 c2 b1");
}

TYPED_TEST(SemanticsTest, S8_ATimeAdvanceEmitsItsMatchesBeforeItsTimeouts) {
  // Decided by the differential test: §8 orders by first event the matches that
  // become ready together; a time advance's matches (pending ones, and held ones
  // a timed-out partial releases) come before its timeouts, because Flink's
  // NFA.advanceTime returns them separately and CepOperator emits the matches
  // first (timeouts go to the timed-out side output). Here a2 c1 is held behind
  // a1's branch still waiting for a b; the advance to 20 times out a1 (at 11)
  // and a2 (at 12) and releases a2 c1.
  const auto pattern = PatternBuilder()
                           .Begin("a")
                           .FollowedBy("b").Optional()
                           .FollowedBy("c")
                           .Within(10)
                           .EmitTimeouts()
                           .Skip(SkipStrategy::kSkipToFirst, 1);
  EXPECT_EQ(this->Run(pattern, "a1@1 a2@2 c1@3 ~20"),
            "a1 c1 | a2 c1 | timeout@11 a1 | timeout@12 a2");
}

// ---------------------------------------------------------------------------
// §9 after-match skip

TYPED_TEST(SemanticsTest, S9_SkipToNextAfterALoopAtTheEnd) {
  const auto pattern =
      PatternBuilder().Begin("a").FollowedBy("b").OneOrMore().Skip(SkipStrategy::kSkipToNext);
  EXPECT_EQ(this->Run(pattern, "a1 b1 b2 b3"), "a1 b1");
  const auto no_skip = PatternBuilder().Begin("a").FollowedBy("b").OneOrMore();
  EXPECT_EQ(this->Run(no_skip, "a1 b1 b2 b3"), "a1 b1 | a1 b1 b2 | a1 b1 b2 b3");
}

TYPED_TEST(SemanticsTest, S9_SkipPastLastEventOnSixAs) {
  const std::string events = "a1 a2 a3 a4 a5 a6";
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").Times(3).Skip(SkipStrategy::kSkipPastLastEvent),
                      events),
            "a1 a2 a3 | a4 a5 a6");
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").Times(3), events),
            "a1 a2 a3 | a2 a3 a4 | a3 a4 a5 | a4 a5 a6");
  // §9: skipping to M's own first event prunes nothing.
  EXPECT_EQ(this->Run(PatternBuilder().Begin("a").Times(3).Skip(SkipStrategy::kSkipToFirst, 0),
                      events),
            "a1 a2 a3 | a2 a3 a4 | a3 a4 a5 | a4 a5 a6");
}

TYPED_TEST(SemanticsTest, S9_SkipToFirstAndSkipToLast_FlinkAfterMatchSkipITCase) {
  const auto both = testing::MakeAny();
  auto pattern = [&](SkipStrategy skip) {
    return PatternBuilder().Begin("start", both).Times(2).Next("end", both).Times(2).Skip(skip, 1);
  };
  EXPECT_EQ(this->Run(pattern(SkipStrategy::kSkipToFirst), "ab1 ab2 ab3 ab4 ab5 ab6"),
            "ab1 ab2 ab3 ab4 | ab3 ab4 ab5 ab6");
  EXPECT_EQ(this->Run(pattern(SkipStrategy::kSkipToLast), "ab1 ab2 ab3 ab4 ab5 ab6 ab7"),
            "ab1 ab2 ab3 ab4 | ab4 ab5 ab6 ab7");
}

TYPED_TEST(SemanticsTest, S9_SkipToAStageWithoutEventsPrunesNothing) {
  auto pattern = [](SkipStrategy skip) {
    return PatternBuilder().Begin("a").FollowedBy("b").Optional().FollowedBy("c").Within(10).Skip(
        skip, 1);
  };
  // a2 c1 is held back (§8) behind a1's branch still waiting for a b, until
  // the window closes at 11.
  const std::string events = "a1@1 a2@2 c1@3 ~20";
  EXPECT_EQ(this->Run(pattern(SkipStrategy::kSkipToFirst), events), "a1 c1 | a2 c1");
  EXPECT_EQ(this->Run(pattern(SkipStrategy::kSkipToLast), events), "a1 c1 | a2 c1");
  EXPECT_EQ(this->Run(pattern(SkipStrategy::kSkipPastLastEvent), events), "a1 c1");
}

// ---------------------------------------------------------------------------
// §10 corner cases not covered above

TYPED_TEST(SemanticsTest, S10_1_RelaxedStagesNeverSkipAnEventTheyCouldAccept) {
  // c a* b? a: no match skips an a.
  const auto pattern = PatternBuilder()
                           .Begin("c")
                           .FollowedBy("as", IsType("a")).OneOrMore().Optional()
                           .FollowedBy("b").Optional()
                           .FollowedBy("last", IsType("a"));
  EXPECT_EQ(this->Run(pattern, "c a1 a2 a3", Format::kStages),
            "c:c last:a1 | c:c as:a1 last:a2 | c:c as:a1,a2 last:a3");
}

TYPED_TEST(SemanticsTest, S10_1_AnOptionalStageMaySkipAnEventOnlyALaterStageCouldTake) {
  // Both matchers agree, following Flink's graph: b's stage (optional, relaxed)
  // skips a1, which b could not take, so c1 b1 a2 is produced even though a1
  // could have been taken by `as` or `last`. §10.1's "never skips an a" holds
  // for streams without a b (the test above); this pins the case with one.
  // (Open doc question, see cep/nfa/README.md.)
  const auto pattern = PatternBuilder()
                           .Begin("c")
                           .FollowedBy("as", IsType("a")).OneOrMore().Optional()
                           .FollowedBy("b").Optional()
                           .FollowedBy("last", IsType("a"));
  EXPECT_EQ(this->Run(pattern, "c1 a1 b1 a2", Format::kStages),
            "c:c1 last:a1 | c:c1 as:a1 last:a2 | c:c1 b:b1 last:a2 | c:c1 as:a1 b:b1 last:a2");
}

// ---------------------------------------------------------------------------
// Classic Flink NFAITCase shapes

TYPED_TEST(SemanticsTest, Flink_SimplePatternWithConditionOnValue) {
  const auto pattern = PatternBuilder()
                           .Begin("start")
                           .FollowedBy("middle", TypeAndValueAbove("middle", 5))
                           .FollowedBy("end");
  EXPECT_EQ(this->Run(pattern, "start middle1:3 middle2:7 x end"), "start middle2 end");
}

TYPED_TEST(SemanticsTest, Flink_BranchingPatternWithFollowedByAny) {
  const auto pattern = PatternBuilder()
                           .Begin("start")
                           .FollowedByAny("m")
                           .FollowedByAny("n")
                           .FollowedBy("end");
  EXPECT_EQ(this->Run(pattern, "start m1 m2 n1 n2 end"),
            "start m1 n1 end | start m1 n2 end | start m2 n1 end | start m2 n2 end");
}

TYPED_TEST(SemanticsTest, Flink_ZeroOrMoreBetweenStrictStages) {
  const auto pattern =
      PatternBuilder().Begin("c").Next("a").OneOrMore().Optional().Consecutive().Next("b");
  EXPECT_EQ(this->Run(pattern, "c a1 a2 b"), "c a1 a2 b");
  EXPECT_EQ(this->Run(pattern, "c b"), "c b");
  EXPECT_EQ(this->Run(pattern, "c a1 x a2 b"), "");
}

}  // namespace
}  // namespace cep
