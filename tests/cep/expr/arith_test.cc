// + - * / % and unary minus: promotion, decimal exactness, overflow, division by
// zero, time arithmetic, null propagation.

#include <limits>

#include "tests/cep/expr/expr_test_util.h"

namespace cep::testing_util {
namespace {

using Op = BinaryOp;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

class ArithTest : public ExprTest {};

TEST_F(ArithTest, IntArithmeticStaysInt) {
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, I(2), I(3))), Value::Int(5)));
  EXPECT_TRUE(Same(Eval(Bin(Op::kSub, I(2), I(3))), Value::Int(-1)));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, I(4), I(-3))), Value::Int(-12)));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, I(7), I(2))), Value::Int(3)));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, I(-7), I(2))), Value::Int(-3)));  // toward zero
  EXPECT_TRUE(Same(Eval(Bin(Op::kMod, I(-7), I(3))), Value::Int(-1)));  // dividend's sign
  EXPECT_TRUE(Same(Eval(Bin(Op::kMod, I(7), I(-3))), Value::Int(1)));
}

TEST_F(ArithTest, IntOverflowIsNull) {
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, I(kMax), I(1))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kSub, I(kMin), I(1))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, I(kMax / 2 + 1), I(2))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, I(kMin), I(-1))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMod, I(kMin), I(-1))), Value::Int(0)));
  EXPECT_TRUE(Same(Eval(Ok(b_.Unary(UnaryOp::kNegate, I(kMin)))), Value::Null()));
}

TEST_F(ArithTest, DivisionByZeroIsNullForEveryType) {
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, I(1), I(0))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMod, I(1), I(0))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, D("1.5"), D("0"))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMod, D("1.5"), I(0))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, F(1.5), F(0.0))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMod, F(1.5), I(0))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, Du(1000), I(0))), Value::Null()));
}

TEST_F(ArithTest, IntAndDecimalPromoteToExactDecimal) {
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, I(2), D("0.000001"))), Dec("2.000001")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kSub, D("0.1"), I(1))), Dec("-0.9")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, D("12.345678"), I(3))), Dec("37.037034")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, I(3), D("0.1"))), Dec("0.3")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMod, D("7.5"), I(2))), Dec("1.5")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, I(1), D("3"))), Dec("0.333333")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, D("10"), I(4))), Dec("2.5")));
}

TEST_F(ArithTest, DecimalSumsAreExactWhereFloatsAreNot) {
  ExprId sum = D("0.1");
  for (int i = 0; i < 9; ++i) sum = Bin(Op::kAdd, sum, D("0.1"));
  EXPECT_TRUE(Same(Eval(Bin(Op::kEq, sum, I(1))), Value::Bool(true)));
  ExprId fsum = F(0.1);
  for (int i = 0; i < 9; ++i) fsum = Bin(Op::kAdd, fsum, F(0.1));
  EXPECT_TRUE(Same(Eval(Bin(Op::kEq, fsum, I(1))), Value::Bool(false)));
}

TEST_F(ArithTest, DecimalProductsAndQuotientsRoundHalfEven) {
  // 0.000005 * 0.5 = 0.0000025 -> 0.000002 (tie to even); 0.0000035 -> 0.000004.
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, D("0.000005"), D("0.5"))), Dec("0.000002")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, D("0.000007"), D("0.5"))), Dec("0.000004")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, D("-0.000005"), D("0.5"))), Dec("-0.000002")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, D("1.5"), D("1.5"))), Dec("2.25")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, D("2"), D("3"))), Dec("0.666667")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, D("-2"), D("3"))), Dec("-0.666667")));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, D("0.000001"), D("2"))), Dec("0")));         // 0.5e-6 -> 0
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, D("0.000003"), D("2"))), Dec("0.000002")));  // 1.5e-6 -> 2e-6
}

TEST_F(ArithTest, DecimalOverflowIsNull) {
  const ExprId big = L(Value::Decimal(kMax));
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, big, D("0.000001"))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, big, I(2))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, big, D("2"))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, I(kMax), D("1"))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, big, D("0.5"))), Value::Null()));
}

TEST_F(ArithTest, AnythingWithFloatIsFloat) {
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, I(1), F(0.5))), Value::Float(1.5)));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, D("2.5"), F(2.0))), Value::Float(5.0)));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, F(1.0), I(4))), Value::Float(0.25)));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMod, F(7.5), F(2.0))), Value::Float(1.5)));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, F(1e308), F(10.0))), Value::Null()));  // overflow
  EXPECT_EQ(b_.TypeOf(Bin(Op::kSub, D("1"), F(1))), Type::kFloat);
}

TEST_F(ArithTest, NullPropagates) {
  event_ = MakeEvent({{kMcc, Value::Int(5)}});
  const ExprId missing = Fld(kMissing, Type::kInt);
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, missing, I(1))), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, D("2"), missing)), Value::Null()));
  EXPECT_TRUE(Same(Eval(Ok(b_.Unary(UnaryOp::kNegate, missing))), Value::Null()));
  // An always-null literal makes the result always null and typed null.
  const ExprId with_null = Bin(Op::kAdd, N(), I(1));
  EXPECT_EQ(b_.TypeOf(with_null), Type::kNull);
  EXPECT_TRUE(Same(Eval(with_null), Value::Null()));
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, Fld(kMcc, Type::kInt), I(1))), Value::Int(6)));
}

TEST_F(ArithTest, UnaryMinus) {
  EXPECT_TRUE(Same(Eval(Ok(b_.Unary(UnaryOp::kNegate, I(5)))), Value::Int(-5)));
  EXPECT_TRUE(Same(Eval(Ok(b_.Unary(UnaryOp::kNegate, D("1.25")))), Dec("-1.25")));
  EXPECT_TRUE(Same(Eval(Ok(b_.Unary(UnaryOp::kNegate, F(2.5)))), Value::Float(-2.5)));
  EXPECT_TRUE(Same(Eval(Ok(b_.Unary(UnaryOp::kNegate, Du(10)))), Value::Dur(Duration::Millis(-10))));
  EXPECT_FALSE(b_.Unary(UnaryOp::kNegate, S("x")).ok());
  EXPECT_FALSE(b_.Unary(UnaryOp::kNegate, T(1)).ok());
}

TEST_F(ArithTest, TimeArithmetic) {
  const Value t1000 = Value::Time(EventTime::FromMillis(1000));
  EXPECT_TRUE(Same(Eval(Bin(Op::kSub, T(5000), T(1000))), Value::Dur(Duration::Seconds(4))));
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, T(400), Du(600))), t1000));
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, Du(600), T(400))), t1000));
  EXPECT_TRUE(Same(Eval(Bin(Op::kSub, T(1600), Du(600))), t1000));
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, Du(1), Du(2))), Value::Dur(Duration::Millis(3))));
  EXPECT_TRUE(Same(Eval(Bin(Op::kSub, Du(1), Du(2))), Value::Dur(Duration::Millis(-1))));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, Du(250), I(4))), Value::Dur(Duration::Seconds(1))));
  EXPECT_TRUE(Same(Eval(Bin(Op::kMul, I(4), Du(250))), Value::Dur(Duration::Seconds(1))));
  EXPECT_TRUE(Same(Eval(Bin(Op::kDiv, Du(1000), I(3))), Value::Dur(Duration::Millis(333))));
  EXPECT_TRUE(Same(Eval(Bin(Op::kAdd, T(kMax), Du(1))), Value::Null()));  // overflow
  // time - time compared with a duration: `b.ts - a.ts < 10m`.
  EXPECT_TRUE(Same(Eval(Bin(Op::kLt, Bin(Op::kSub, T(5000), T(1000)), Du(600'000))),
                   Value::Bool(true)));
}

TEST_F(ArithTest, RejectsIllTypedOperands) {
  EXPECT_FALSE(b_.Binary(Op::kAdd, T(1), T(2)).ok());
  EXPECT_FALSE(b_.Binary(Op::kMul, T(1), I(2)).ok());
  EXPECT_FALSE(b_.Binary(Op::kAdd, S("a"), S("b")).ok());
  EXPECT_FALSE(b_.Binary(Op::kAdd, I(1), B(true)).ok());
  EXPECT_FALSE(b_.Binary(Op::kMod, Du(1), Du(2)).ok());
  EXPECT_FALSE(b_.Binary(Op::kAdd, Du(1), I(2)).ok());
  EXPECT_FALSE(b_.Binary(Op::kMul, Du(1), D("2")).ok());
  const auto err = b_.Binary(Op::kAdd, S("a"), I(1));
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(err.error().message(), "operator + cannot apply to string and int");
}

}  // namespace
}  // namespace cep::testing_util
