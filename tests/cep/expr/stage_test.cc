// Stage references and aggregates over a MatchView, window aggregate
// references, the Condition adapter, and Build().

#include "cep/expr/expr_condition.h"
#include "tests/cep/expr/expr_test_util.h"

namespace cep::testing_util {
namespace {

using Op = BinaryOp;
using Agg = StageAggregateFn;
constexpr StageIndex kSmall = 0;
constexpr StageIndex kLarge = 1;
constexpr StageIndex kEmpty = 2;

class StageTest : public ExprTest {
 protected:
  void SetUp() override {
    // small accepted 1.50, (no amount), 3.25, 0.75 in that order; large accepted 900.
    match_.Add(kSmall, MakeEvent({{kAmount, Dec("1.50")}, {kMcc, Value::Int(5)},
                                  {kMerchant, Value::String("b")}, {kLat, Value::Float(1.0)}},
                                 10));
    match_.Add(kSmall, MakeEvent({{kMcc, Value::Int(7)}, {kMerchant, Value::String("a")}}, 20));
    match_.Add(kSmall, MakeEvent({{kAmount, Dec("3.25")}, {kMcc, Value::Int(1)},
                                  {kMerchant, Value::String("c")}, {kLat, Value::Float(2.0)}},
                                 30));
    match_.Add(kSmall, MakeEvent({{kAmount, Dec("0.75")}, {kMcc, Value::Int(2)}}, 40));
    match_.Add(kLarge, MakeEvent({{kAmount, Dec("900")}}, 50));
  }
  ExprId Agg(StageAggregateFn fn, StageIndex stage, SlotIndex slot, Type type) {
    return Ok(b_.StageAggregate(fn, stage, slot, type));
  }
};

TEST_F(StageTest, StageFieldIsTheLastAcceptedEvent) {
  EXPECT_TRUE(Same(Eval(b_.StageField(kSmall, kAmount, Type::kDecimal)), Dec("0.75")));
  EXPECT_TRUE(Same(Eval(b_.StageField(kLarge, kAmount, Type::kDecimal)), Dec("900")));
  // The last event has no merchant: null, not the last non-null one.
  EXPECT_TRUE(Same(Eval(b_.StageField(kSmall, kMerchant, Type::kString)), Value::Null()));
  EXPECT_TRUE(Same(Eval(b_.StageField(kEmpty, kAmount, Type::kDecimal)), Value::Null()));
  // `large.amount > 10 * small.amount`
  const ExprId cond = Bin(Op::kGt, b_.StageField(kLarge, kAmount, Type::kDecimal),
                          Bin(Op::kMul, I(10), b_.StageField(kSmall, kAmount, Type::kDecimal)));
  EXPECT_TRUE(Same(Eval(cond), Value::Bool(true)));
}

TEST_F(StageTest, CountCountsEventsAndIsZeroWhenEmpty) {
  EXPECT_TRUE(Same(Eval(b_.StageCount(kSmall)), Value::Int(4)));
  EXPECT_TRUE(Same(Eval(b_.StageCount(kLarge)), Value::Int(1)));
  EXPECT_TRUE(Same(Eval(b_.StageCount(kEmpty)), Value::Int(0)));
}

TEST_F(StageTest, AggregatesSkipNullsAndAreExact) {
  EXPECT_TRUE(Same(Eval(Agg(Agg::kSum, kSmall, kAmount, Type::kDecimal)), Dec("5.5")));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kAvg, kSmall, kAmount, Type::kDecimal)), Dec("1.833333")));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kMin, kSmall, kAmount, Type::kDecimal)), Dec("0.75")));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kMax, kSmall, kAmount, Type::kDecimal)), Dec("3.25")));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kSum, kSmall, kMcc, Type::kInt)), Value::Int(15)));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kAvg, kSmall, kMcc, Type::kInt)), Value::Float(3.75)));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kSum, kSmall, kLat, Type::kFloat)), Value::Float(3.0)));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kAvg, kSmall, kLat, Type::kFloat)), Value::Float(1.5)));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kMin, kSmall, kMerchant, Type::kString)), Value::String("a")));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kMax, kSmall, kMerchant, Type::kString)), Value::String("c")));
  EXPECT_EQ(b_.TypeOf(Agg(Agg::kAvg, kSmall, kMcc, Type::kInt)), Type::kFloat);
}

TEST_F(StageTest, FirstAndLastFollowAcceptanceOrder) {
  EXPECT_TRUE(Same(Eval(Agg(Agg::kFirst, kSmall, kAmount, Type::kDecimal)), Dec("1.50")));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kLast, kSmall, kMcc, Type::kInt)), Value::Int(2)));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kFirst, kSmall, kMerchant, Type::kString)), Value::String("b")));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kLast, kSmall, kMerchant, Type::kString)), Value::Null()));
  EXPECT_TRUE(Same(Eval(Agg(Agg::kFirst, kSmall, kFlag, Type::kBool)), Value::Null()));
}

TEST_F(StageTest, EveryAggregateIsNullOnAnEmptyStage) {
  for (StageAggregateFn fn : {Agg::kSum, Agg::kAvg, Agg::kMin, Agg::kMax, Agg::kFirst, Agg::kLast}) {
    EXPECT_TRUE(Same(Eval(Agg(fn, kEmpty, kAmount, Type::kDecimal)), Value::Null()));
  }
  // All values null: sum is null too (not 0).
  EXPECT_TRUE(Same(Eval(Agg(Agg::kSum, kLarge, kMcc, Type::kInt)), Value::Null()));
}

TEST_F(StageTest, WithoutAMatchViewStagesAreEmpty) {
  auto expr = b_.Build(b_.StageCount(kSmall));
  ASSERT_TRUE(expr.ok());
  EvalContext ctx;
  EXPECT_TRUE(Same((*expr)->Evaluate(ctx), Value::Int(0)));
}

TEST_F(StageTest, SumOverflowIsNull) {
  FakeMatchView view;
  view.Add(0, MakeEvent({{kMcc, Value::Int(std::numeric_limits<int64_t>::max())}}));
  view.Add(0, MakeEvent({{kMcc, Value::Int(1)}}));
  auto expr = b_.Build(Agg(Agg::kSum, 0, kMcc, Type::kInt));
  ASSERT_TRUE(expr.ok());
  EvalContext ctx;
  ctx.match = &view;
  EXPECT_TRUE(Same((*expr)->Evaluate(ctx), Value::Null()));
  // The average of the same values fits.
  auto avg = b_.Build(Agg(Agg::kAvg, 0, kMcc, Type::kInt));
  EXPECT_TRUE(Same((*avg)->Evaluate(ctx), Value::Float(4.611686018427387904e18)));
}

TEST_F(StageTest, RejectsAggregatesOverWrongTypes) {
  EXPECT_FALSE(b_.StageAggregate(Agg::kSum, 0, kMerchant, Type::kString).ok());
  EXPECT_FALSE(b_.StageAggregate(Agg::kAvg, 0, kTs, Type::kTime).ok());
  EXPECT_FALSE(b_.StageAggregate(Agg::kMin, 0, kFlag, Type::kBool).ok());
  EXPECT_TRUE(b_.StageAggregate(Agg::kMax, 0, kTs, Type::kTime).ok());
  EXPECT_TRUE(b_.StageAggregate(Agg::kFirst, 0, kFlag, Type::kBool).ok());
}

TEST_F(StageTest, WindowAggregatesReadTheContext) {
  // `count() >= 5 and sum(amount) > 2000`, aggregates 0 and 1.
  const ExprId when = Bin(Op::kAnd, Bin(Op::kGe, b_.WindowAggregate(0, Type::kInt), I(5)),
                          Bin(Op::kGt, b_.WindowAggregate(1, Type::kDecimal), I(2000)));
  aggregates_ = {Value::Int(5), Dec("2000.01")};
  EXPECT_TRUE(Same(Eval(when), Value::Bool(true)));
  aggregates_ = {Value::Int(5), Dec("2000")};
  EXPECT_TRUE(Same(Eval(when), Value::Bool(false)));
  aggregates_ = {Value::Int(5)};  // missing: null
  EXPECT_TRUE(Same(Eval(when), Value::Bool(false)));
  aggregates_ = {Value::Int(5), Value::Float(3000)};  // wrong type: null
  EXPECT_TRUE(Same(Eval(when), Value::Bool(false)));
  aggregates_ = {Value::Null(), Dec("3000")};
  EXPECT_TRUE(Same(Eval(b_.IsNull(b_.WindowAggregate(0, Type::kInt))), Value::Bool(true)));
}

TEST_F(StageTest, ConditionAdapterEvaluatesOnTheEventAndMatch) {
  // `amount > 10 * last(small.amount) and merchant ~ /casino/`
  const ExprId cond =
      Bin(Op::kAnd,
          Bin(Op::kGt, Fld(kAmount, Type::kDecimal),
              Bin(Op::kMul, I(10), b_.StageField(kSmall, kAmount, Type::kDecimal))),
          Ok(b_.Regex(Fld(kMerchant, Type::kString), 0)));
  auto expr = b_.Build(cond);
  ASSERT_TRUE(expr.ok());
  const uint64_t matched = 1;
  auto condition = MakeExprCondition(*expr, [&](const Event& e) {
    return e.id() == "hit" ? RegexMatches({&matched, 1}) : RegexMatches();
  });
  ASSERT_TRUE(condition.ok());
  auto event = [](const char* id, const char* amount) {
    EventBuilder eb(kFieldCount);
    eb.SetId(id).Set(kAmount, Dec(amount)).Set(kMerchant, Value::String("x"));
    return eb.Build();
  };
  EXPECT_TRUE((*condition)->Matches(event("hit", "7.51"), match_));
  EXPECT_FALSE((*condition)->Matches(event("hit", "7.50"), match_));
  EXPECT_FALSE((*condition)->Matches(event("miss", "100"), match_));
  // Without a lookup no regex matches.
  auto no_regex = MakeExprCondition(*expr);
  ASSERT_TRUE(no_regex.ok());
  EXPECT_FALSE((*no_regex)->Matches(event("hit", "100"), match_));
}

TEST_F(StageTest, ConditionAdapterNeedsABoolExpression) {
  auto not_bool = MakeExprCondition(*b_.Build(I(1)));
  ASSERT_FALSE(not_bool.ok());
  EXPECT_EQ(not_bool.error().code(), StatusCode::kInvalidArgument);
  auto always_null = MakeExprCondition(*b_.Build(N()));
  ASSERT_TRUE(always_null.ok());
  EXPECT_FALSE((*always_null)->Matches(*MakeEvent({}), match_));
}

TEST_F(StageTest, BuildSharesNodesAndCapsDepth) {
  const ExprId x = Fld(kMcc, Type::kInt);
  const ExprId twice = Bin(Op::kAdd, x, x);
  auto expr = b_.Build(twice);
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ((*expr)->node_count(), 2u);
  EXPECT_EQ((*expr)->type(), Type::kInt);
  ExprId deep = I(0);
  for (int i = 0; i < ExprBuilder::kMaxDepth; ++i) deep = Bin(Op::kAdd, deep, I(1));
  auto too_deep = b_.Build(deep);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.error().code(), StatusCode::kInvalidArgument);
  // An expression outlives its builder.
  std::shared_ptr<const Expr> kept;
  {
    ExprBuilder local;
    kept = *local.Build(local.Literal(Value::String("owned")));
  }
  EvalContext ctx;
  EXPECT_TRUE(Same(kept->Evaluate(ctx), Value::String("owned")));
}

}  // namespace
}  // namespace cep::testing_util
