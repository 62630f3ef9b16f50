// Comparisons, and/or/not, is null, in, regex bits: including every null rule.

#include <limits>

#include "tests/cep/expr/expr_test_util.h"

namespace cep::testing_util {
namespace {

using Op = BinaryOp;
const Value kTrue = Value::Bool(true);
const Value kFalse = Value::Bool(false);

class CompareTest : public ExprTest {
 protected:
  // All six comparisons of a and c, as "<=>" flags: {==, !=, <, <=, >, >=}.
  std::vector<bool> All(ExprId a, ExprId c) {
    std::vector<bool> out;
    for (Op op : {Op::kEq, Op::kNe, Op::kLt, Op::kLe, Op::kGt, Op::kGe}) {
      const Value v = Eval(Bin(op, a, c));
      EXPECT_EQ(v.type(), Type::kBool);
      out.push_back(v.type() == Type::kBool && v.bool_value());
    }
    return out;
  }
};

const std::vector<bool> kLess = {false, true, true, true, false, false};
const std::vector<bool> kEqual = {true, false, false, true, false, true};
const std::vector<bool> kGreater = {false, true, false, false, true, true};
const std::vector<bool> kNever = {false, false, false, false, false, false};

TEST_F(CompareTest, SameTypes) {
  EXPECT_EQ(All(I(1), I(2)), kLess);
  EXPECT_EQ(All(D("2.5"), D("2.5")), kEqual);
  EXPECT_EQ(All(F(3), F(2)), kGreater);
  EXPECT_EQ(All(T(1), T(2)), kLess);
  EXPECT_EQ(All(Du(5), Du(5)), kEqual);
  EXPECT_EQ(All(S("abc"), S("abd")), kLess);
  EXPECT_EQ(All(S("ab"), S("abc")), kLess);
  EXPECT_TRUE(Same(Eval(Bin(Op::kEq, B(true), B(true))), kTrue));
  EXPECT_TRUE(Same(Eval(Bin(Op::kNe, B(true), B(false))), kTrue));
  EXPECT_FALSE(b_.Binary(Op::kLt, B(true), B(false)).ok());
}

TEST_F(CompareTest, StringsCompareBytewise) {
  // 0xC3 (start of "é" in UTF-8) sorts after 'z' when bytes are unsigned.
  EXPECT_EQ(All(S("z"), S("\xC3\xA9")), kLess);
  EXPECT_EQ(All(S("Z"), S("a")), kLess);  // no case folding
}

TEST_F(CompareTest, NumbersCompareExactlyAcrossTypes) {
  EXPECT_EQ(All(I(5), D("5.000000")), kEqual);
  EXPECT_EQ(All(D("4.999999"), I(5)), kLess);
  EXPECT_EQ(All(I(5), D("5.000001")), kLess);
  EXPECT_EQ(All(I(2), F(2.5)), kLess);
  EXPECT_EQ(All(F(2.0), I(2)), kEqual);
  // 2^53 + 1 is not a double: an exact comparison still sees the difference.
  const int64_t big = (int64_t{1} << 53) + 1;
  EXPECT_EQ(All(I(big), F(static_cast<double>(int64_t{1} << 53))), kGreater);
  EXPECT_EQ(All(I(std::numeric_limits<int64_t>::max()), F(9.3e18)), kLess);
  EXPECT_EQ(All(D("0.5"), F(0.5)), kEqual);
  EXPECT_EQ(All(F(0.25), D("0.3")), kLess);
  // A big int against a decimal does not overflow.
  EXPECT_EQ(All(I(std::numeric_limits<int64_t>::max()), D("1")), kGreater);
}

TEST_F(CompareTest, NullComparesFalseEvenForNotEqual) {
  event_ = MakeEvent({});
  EXPECT_EQ(All(Fld(kMissing, Type::kInt), I(1)), kNever);
  EXPECT_EQ(All(I(1), Fld(kMissing, Type::kInt)), kNever);
  EXPECT_EQ(All(Fld(kMissing, Type::kString), Fld(kMissing, Type::kString)), kNever);
  EXPECT_EQ(All(N(), I(1)), kNever);
  EXPECT_EQ(All(N(), S("x")), kNever);
  EXPECT_EQ(All(N(), N()), kNever);
}

TEST_F(CompareTest, RejectsIncomparableTypes) {
  EXPECT_FALSE(b_.Binary(Op::kEq, I(1), S("1")).ok());
  EXPECT_FALSE(b_.Binary(Op::kLt, T(1), Du(1)).ok());
  EXPECT_FALSE(b_.Binary(Op::kEq, T(1), I(1)).ok());
  EXPECT_FALSE(b_.Binary(Op::kEq, B(true), I(1)).ok());
}

TEST_F(CompareTest, AndOrShortCircuitAndTreatNullAsFalse) {
  event_ = MakeEvent({});
  const ExprId null_bool = Fld(kMissing, Type::kBool);
  EXPECT_TRUE(Same(Eval(Bin(Op::kAnd, B(true), B(true))), kTrue));
  EXPECT_TRUE(Same(Eval(Bin(Op::kAnd, B(true), B(false))), kFalse));
  EXPECT_TRUE(Same(Eval(Bin(Op::kOr, B(false), B(true))), kTrue));
  EXPECT_TRUE(Same(Eval(Bin(Op::kOr, B(false), B(false))), kFalse));
  EXPECT_TRUE(Same(Eval(Bin(Op::kAnd, null_bool, B(true))), kFalse));
  EXPECT_TRUE(Same(Eval(Bin(Op::kOr, null_bool, B(true))), kTrue));
  EXPECT_TRUE(Same(Eval(Bin(Op::kOr, null_bool, null_bool)), kFalse));
  EXPECT_TRUE(Same(Eval(Bin(Op::kAnd, N(), B(true))), kFalse));
  EXPECT_TRUE(Same(Eval(Ok(b_.Unary(UnaryOp::kNot, B(true)))), kFalse));
  EXPECT_TRUE(Same(Eval(Ok(b_.Unary(UnaryOp::kNot, null_bool))), kTrue));
  EXPECT_FALSE(b_.Binary(Op::kAnd, I(1), B(true)).ok());
  EXPECT_FALSE(b_.Unary(UnaryOp::kNot, I(1)).ok());
}

TEST_F(CompareTest, AndDoesNotEvaluateItsRightSideWhenLeftIsFalse) {
  // Short-circuit or not, the answer is the same, so observe it through the
  // scratch arena: lower() on the right side allocates only if it runs.
  event_ = MakeEvent({{kMerchant, Value::String("CASINO")}});
  const ExprId lowered = Call(Function::kLower, {Fld(kMerchant, Type::kString)});
  const ExprId rhs = Bin(Op::kEq, lowered, S("casino"));
  EXPECT_TRUE(Same(Eval(Bin(Op::kAnd, B(false), rhs)), kFalse));
  EXPECT_EQ(ctx_.scratch.capacity(), 0u);
  EXPECT_TRUE(Same(Eval(Bin(Op::kOr, B(false), rhs)), kTrue));
  EXPECT_GT(ctx_.scratch.capacity(), 0u);
}

TEST_F(CompareTest, IsNullAndIsNotNull) {
  event_ = MakeEvent({{kMcc, Value::Int(1)}});
  EXPECT_TRUE(Same(Eval(b_.IsNull(Fld(kMissing, Type::kInt))), kTrue));
  EXPECT_TRUE(Same(Eval(b_.IsNull(Fld(kMcc, Type::kInt))), kFalse));
  EXPECT_TRUE(Same(Eval(b_.IsNull(Fld(kMissing, Type::kInt), true)), kFalse));
  EXPECT_TRUE(Same(Eval(b_.IsNull(Fld(kMcc, Type::kInt), true)), kTrue));
  EXPECT_TRUE(Same(Eval(b_.IsNull(Bin(BinaryOp::kDiv, I(1), I(0)))), kTrue));
  // A slot holding another type than declared reads as null.
  EXPECT_TRUE(Same(Eval(b_.IsNull(Fld(kMcc, Type::kString))), kTrue));
}

TEST_F(CompareTest, InSmallLists) {
  event_ = MakeEvent({{kMcc, Value::Int(7995)}, {kMerchant, Value::String("bet365")}});
  const std::vector<Value> mccs = {Value::Int(7995), Value::Int(6051), Value::Int(4829)};
  const ExprId mcc = Fld(kMcc, Type::kInt);
  EXPECT_TRUE(Same(Eval(Ok(b_.In(mcc, mccs))), kTrue));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(mcc, mccs, /*negate=*/true))), kFalse));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(I(1), mccs))), kFalse));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(I(1), mccs, true))), kTrue));
  const std::vector<Value> names = {Value::String("bet365"), Value::String("pokerstars")};
  EXPECT_TRUE(Same(Eval(Ok(b_.In(Fld(kMerchant, Type::kString), names))), kTrue));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(S("bet"), names))), kFalse));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(S("x"), {}))), kFalse));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(S("x"), {}, true))), kTrue));
}

TEST_F(CompareTest, InWithNullOperandIsFalseBothWays) {
  event_ = MakeEvent({});
  const std::vector<Value> list = {Value::Int(1), Value::Null()};
  EXPECT_TRUE(Same(Eval(Ok(b_.In(Fld(kMissing, Type::kInt), list))), kFalse));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(Fld(kMissing, Type::kInt), list, true))), kFalse));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(N(), list, true))), kFalse));
  // A null element never equals anything.
  EXPECT_TRUE(Same(Eval(Ok(b_.In(I(2), list, true))), kTrue));
}

TEST_F(CompareTest, InPromotesNumbers) {
  const std::vector<Value> mixed = {Value::Int(5), Dec("2.5")};
  EXPECT_TRUE(Same(Eval(Ok(b_.In(D("5"), mixed))), kTrue));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(I(5), mixed))), kTrue));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(D("2.5"), mixed))), kTrue));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(I(2), mixed))), kFalse));
  const std::vector<Value> floats = {Value::Float(0.5), Value::Float(-0.0)};
  EXPECT_TRUE(Same(Eval(Ok(b_.In(D("0.5"), floats))), kTrue));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(I(0), floats))), kTrue));
  EXPECT_TRUE(Same(Eval(Ok(b_.In(F(0.0), floats))), kTrue));
  EXPECT_FALSE(b_.In(I(1), std::vector<Value>{Value::String("1")}).ok());
  EXPECT_FALSE(b_.In(S("1"), std::vector<Value>{Value::Int(1)}).ok());
}

TEST_F(CompareTest, InLargeListsUseAHashSet) {
  std::vector<Value> ints;
  std::vector<std::string> owned;
  for (int64_t i = 0; i < 5000; ++i) ints.push_back(Value::Int(i * 7));
  for (int i = 0; i < 3000; ++i) owned.push_back("merchant-" + std::to_string(i));
  std::vector<Value> strings;
  for (const auto& s : owned) strings.push_back(Value::String(s));
  for (int64_t probe : {0, 7, 34993, 34986, 1, 34994, -7}) {
    const bool want = probe >= 0 && probe % 7 == 0 && probe / 7 < 5000;
    EXPECT_TRUE(Same(Eval(Ok(b_.In(I(probe), ints))), Value::Bool(want))) << probe;
    EXPECT_TRUE(Same(Eval(Ok(b_.In(I(probe), ints, true))), Value::Bool(!want))) << probe;
  }
  const ExprId in_strings = Ok(b_.In(Fld(kMerchant, Type::kString), strings));
  for (const char* probe : {"merchant-0", "merchant-2999", "merchant-3000", "merchant", ""}) {
    event_ = MakeEvent({{kMerchant, Value::String(probe)}});
    const bool want = std::string_view(probe).size() > 9 && std::string_view(probe) != "merchant-3000";
    EXPECT_TRUE(Same(Eval(in_strings), Value::Bool(want))) << probe;
  }
  // The list's strings are copied: the caller's storage may go away.
  owned.clear();
  event_ = MakeEvent({{kMerchant, Value::String("merchant-42")}});
  EXPECT_TRUE(Same(Eval(in_strings), kTrue));
}

TEST_F(CompareTest, RegexReadsThePrecomputedBit) {
  event_ = MakeEvent({{kMerchant, Value::String("Lucky Casino")}});
  const uint64_t words[2] = {uint64_t{1} << 3, uint64_t{1} << (70 - 64)};
  ctx_.regex = RegexMatches(words);
  const ExprId merchant = Fld(kMerchant, Type::kString);
  // Eval() does not touch ctx_.regex, so the bits stay set.
  EXPECT_TRUE(Same(Eval(Ok(b_.Regex(merchant, 3))), kTrue));
  EXPECT_TRUE(Same(Eval(Ok(b_.Regex(merchant, 3, true))), kFalse));
  EXPECT_TRUE(Same(Eval(Ok(b_.Regex(merchant, 4))), kFalse));
  EXPECT_TRUE(Same(Eval(Ok(b_.Regex(merchant, 4, true))), kTrue));
  EXPECT_TRUE(Same(Eval(Ok(b_.Regex(merchant, 70))), kTrue));
  EXPECT_TRUE(Same(Eval(Ok(b_.Regex(merchant, 500))), kFalse));  // past the words
  const ExprId missing = Fld(kMissing, Type::kString);
  EXPECT_TRUE(Same(Eval(Ok(b_.Regex(missing, 3))), kFalse));
  EXPECT_TRUE(Same(Eval(Ok(b_.Regex(missing, 4, true))), kFalse));
  EXPECT_FALSE(b_.Regex(S("literal"), 0).ok());
  EXPECT_FALSE(b_.Regex(Fld(kMcc, Type::kInt), 0).ok());
}

}  // namespace
}  // namespace cep::testing_util
