// Built-in functions, and string results on the scratch arena.

#include <cmath>
#include <limits>

#include "tests/cep/expr/expr_test_util.h"

namespace cep::testing_util {
namespace {

class FunctionsTest : public ExprTest {};

TEST_F(FunctionsTest, Abs) {
  EXPECT_TRUE(Same(Eval(Call(Function::kAbs, {I(-3)})), Value::Int(3)));
  EXPECT_TRUE(Same(Eval(Call(Function::kAbs, {I(3)})), Value::Int(3)));
  EXPECT_TRUE(Same(Eval(Call(Function::kAbs, {D("-0.5")})), Dec("0.5")));
  EXPECT_TRUE(Same(Eval(Call(Function::kAbs, {F(-2.5)})), Value::Float(2.5)));
  EXPECT_TRUE(Same(Eval(Call(Function::kAbs, {Du(-7)})), Value::Dur(Duration::Millis(7))));
  EXPECT_TRUE(Same(Eval(Call(Function::kAbs, {I(std::numeric_limits<int64_t>::min())})),
                   Value::Null()));
  EXPECT_TRUE(Same(Eval(Call(Function::kAbs, {N()})), Value::Null()));
  EXPECT_FALSE(b_.Call(Function::kAbs, std::vector<ExprId>{S("x")}).ok());
}

TEST_F(FunctionsTest, LowerAndUpperAreAsciiAndUseScratch) {
  event_ = MakeEvent({{kMerchant, Value::String("Café CASINO 42")}});
  const ExprId merchant = Fld(kMerchant, Type::kString);
  EXPECT_TRUE(Same(Eval(Call(Function::kLower, {merchant})), Value::String("café casino 42")));
  EXPECT_TRUE(Same(Eval(Call(Function::kUpper, {merchant})), Value::String("CAFé CASINO 42")));
  const Value lowered = Eval(Call(Function::kLower, {merchant}));
  EXPECT_NE(lowered.string_value().data(), event_->field(kMerchant).string_value().data());
  // Nothing to change: the input itself comes back, nothing is copied.
  const Value same = Eval(Call(Function::kUpper, {S("ABC 1")}));
  EXPECT_TRUE(Same(same, Value::String("ABC 1")));
  EXPECT_TRUE(Same(Eval(Call(Function::kLower, {S("")})), Value::String("")));
  EXPECT_TRUE(Same(Eval(Call(Function::kLower, {N()})), Value::Null()));
}

TEST_F(FunctionsTest, NestedStringFunctionsKeepEarlierScratchResults) {
  // upper(lower(x)) == lower(x) compared within one evaluation: both scratch
  // strings must stay valid until the comparison.
  event_ = MakeEvent({{kMerchant, Value::String("MiXeD")}});
  const ExprId m = Fld(kMerchant, Type::kString);
  const ExprId lower = Call(Function::kLower, {m});
  const ExprId upper = Call(Function::kUpper, {lower});
  EXPECT_TRUE(Same(Eval(Bin(BinaryOp::kLt, upper, lower)), Value::Bool(true)));
  // A string longer than a scratch block forces a second block.
  const std::string long_text(10'000, 'A');
  event_ = MakeEvent({{kMerchant, Value::String(long_text)}});
  const Value v = Eval(Bin(BinaryOp::kEq, Call(Function::kLower, {m}),
                           Call(Function::kLower, {Call(Function::kUpper, {m})})));
  EXPECT_TRUE(Same(v, Value::Bool(true)));
}

TEST_F(FunctionsTest, ScratchIsReusedOnceWarm) {
  event_ = MakeEvent({{kMerchant, Value::String("ABCDEF")}});
  const ExprId e = Call(Function::kLower, {Fld(kMerchant, Type::kString)});
  (void)Eval(e);
  const size_t warm = ctx_.scratch.capacity();
  for (int i = 0; i < 100; ++i) (void)exprs_.back()->Evaluate(ctx_);
  EXPECT_EQ(ctx_.scratch.capacity(), warm);
}

TEST_F(FunctionsTest, LenAndSubstringTests) {
  EXPECT_TRUE(Same(Eval(Call(Function::kLen, {S("héllo")})), Value::Int(6)));  // bytes
  EXPECT_TRUE(Same(Eval(Call(Function::kLen, {S("")})), Value::Int(0)));
  EXPECT_TRUE(Same(Eval(Call(Function::kStartsWith, {S("casino royale"), S("casino")})),
                   Value::Bool(true)));
  EXPECT_TRUE(Same(Eval(Call(Function::kStartsWith, {S("casino"), S("casino royale")})),
                   Value::Bool(false)));
  EXPECT_TRUE(Same(Eval(Call(Function::kEndsWith, {S("casino royale"), S("royale")})),
                   Value::Bool(true)));
  EXPECT_TRUE(Same(Eval(Call(Function::kEndsWith, {S("casino royale"), S("casino")})),
                   Value::Bool(false)));
  EXPECT_TRUE(Same(Eval(Call(Function::kContains, {S("casino royale"), S("no ro")})),
                   Value::Bool(true)));
  EXPECT_TRUE(Same(Eval(Call(Function::kContains, {S("casino"), S("")})), Value::Bool(true)));
  EXPECT_TRUE(Same(Eval(Call(Function::kContains, {S("casino"), S("x")})), Value::Bool(false)));
  EXPECT_TRUE(Same(Eval(Call(Function::kContains, {N(), S("x")})), Value::Null()));
  EXPECT_TRUE(Same(Eval(Call(Function::kLen, {N()})), Value::Null()));
  EXPECT_FALSE(b_.Call(Function::kContains, std::vector<ExprId>{S("x")}).ok());
  EXPECT_FALSE(b_.Call(Function::kStartsWith, std::vector<ExprId>{S("x"), I(1)}).ok());
  EXPECT_FALSE(b_.Call(Function::kLen, std::vector<ExprId>{I(1)}).ok());
}

TEST_F(FunctionsTest, GeoKmIsHaversine) {
  // Paris (48.8566, 2.3522) to London (51.5074, -0.1278): about 343.9 km.
  const Value paris_london = Eval(Call(Function::kGeoKm, {F(48.8566), F(2.3522), D("51.5074"),
                                                          D("-0.1278")}));
  ASSERT_EQ(paris_london.type(), Type::kFloat);
  EXPECT_NEAR(paris_london.float_value(), 343.9, 0.5);
  // A quarter of the equator: pi/2 * R.
  const Value quarter = Eval(Call(Function::kGeoKm, {I(0), I(0), I(0), I(90)}));
  EXPECT_NEAR(quarter.float_value(), 6371.0088 * M_PI / 2, 1e-6);
  EXPECT_TRUE(Same(Eval(Call(Function::kGeoKm, {I(10), I(20), I(10), I(20)})), Value::Float(0)));
  // Antipodes: h may round above 1; the distance is still half the circumference.
  const Value antipodes = Eval(Call(Function::kGeoKm, {I(0), I(0), I(0), I(180)}));
  EXPECT_NEAR(antipodes.float_value(), 6371.0088 * M_PI, 1e-6);
  EXPECT_TRUE(Same(Eval(Call(Function::kGeoKm, {N(), I(0), I(0), I(0)})), Value::Null()));
  EXPECT_FALSE(b_.Call(Function::kGeoKm, std::vector<ExprId>{I(0), I(0), I(0)}).ok());
  EXPECT_FALSE(b_.Call(Function::kGeoKm, std::vector<ExprId>{I(0), I(0), I(0), S("0")}).ok());
}

TEST_F(FunctionsTest, HourOfDayAndIsoDayOfWeekInUtc) {
  // 2024-03-10T13:45:00Z was a Sunday.
  const int64_t sunday = 1710078300000;
  EXPECT_TRUE(Same(Eval(Call(Function::kHourOfDay, {T(sunday)})), Value::Int(13)));
  EXPECT_TRUE(Same(Eval(Call(Function::kDayOfWeek, {T(sunday)})), Value::Int(7)));
  EXPECT_TRUE(Same(Eval(Call(Function::kDayOfWeek, {T(sunday + 86'400'000)})), Value::Int(1)));
  EXPECT_TRUE(Same(Eval(Call(Function::kDayOfWeek, {T(0)})), Value::Int(4)));  // 1970-01-01 Thu
  EXPECT_TRUE(Same(Eval(Call(Function::kHourOfDay, {T(0)})), Value::Int(0)));
  // Before the epoch: 1969-12-31T23:59:59.999Z, a Wednesday.
  EXPECT_TRUE(Same(Eval(Call(Function::kHourOfDay, {T(-1)})), Value::Int(23)));
  EXPECT_TRUE(Same(Eval(Call(Function::kDayOfWeek, {T(-1)})), Value::Int(3)));
  EXPECT_TRUE(Same(Eval(Call(Function::kHourOfDay, {N()})), Value::Null()));
  EXPECT_FALSE(b_.Call(Function::kHourOfDay, std::vector<ExprId>{I(0)}).ok());
  EXPECT_FALSE(b_.Call(Function::kDayOfWeek, std::vector<ExprId>{Du(0)}).ok());
}

}  // namespace
}  // namespace cep::testing_util
