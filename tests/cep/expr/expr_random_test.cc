// Differential test: random well-typed expressions evaluated by the compiled
// evaluator and by a small, slow reference interpreter written from the README's
// rules, on random events (fixed seed). Covers arithmetic with promotion,
// overflow and division by zero, comparisons across types, logic, nulls, `in`,
// abs, lower/upper/len.

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "tests/cep/expr/expr_test_util.h"

namespace cep::testing_util {
namespace {

__extension__ using I128 = __int128;

// A reference value: ints and decimals as exact integers (decimals in micros).
struct RV {
  Type t = Type::kNull;
  I128 i = 0;
  double f = 0;
  bool b = false;
  std::string s;
};

RV Null() { return {}; }
RV MakeInt(I128 v) {
  if (v > std::numeric_limits<int64_t>::max() || v < std::numeric_limits<int64_t>::min()) return Null();
  return {Type::kInt, v, 0, false, ""};
}
RV MakeDec(I128 v) {
  RV r = MakeInt(v);
  if (r.t != Type::kNull) r.t = Type::kDecimal;
  return r;
}
RV MakeFloat(double f) { return std::isfinite(f) ? RV{Type::kFloat, 0, f, false, ""} : Null(); }
RV MakeBool(bool b) { return {Type::kBool, 0, 0, b, ""}; }

// Round n/d to nearest, ties to even, by comparing twice the remainder.
I128 RoundDiv(I128 n, I128 d) {
  const bool negative = (n < 0) != (d < 0);
  I128 an = n < 0 ? -n : n;
  I128 ad = d < 0 ? -d : d;
  I128 q = an / ad;
  I128 r = an - q * ad;
  if (2 * r > ad || (2 * r == ad && q % 2 == 1)) ++q;
  return negative ? -q : q;
}

I128 Micros(const RV& v) { return v.t == Type::kInt ? v.i * 1'000'000 : v.i; }
long double AsLong(const RV& v) {
  if (v.t == Type::kFloat) return v.f;
  if (v.t == Type::kInt) return static_cast<long double>(static_cast<int64_t>(v.i));
  return static_cast<double>(static_cast<int64_t>(v.i)) / 1e6;  // decimal vs float: as double
}

RV RefArith(BinaryOp op, const RV& a, const RV& b) {
  if (a.t == Type::kNull || b.t == Type::kNull) return Null();
  if (a.t == Type::kFloat || b.t == Type::kFloat) {
    const double x = static_cast<double>(AsLong(a)), y = static_cast<double>(AsLong(b));
    switch (op) {
      case BinaryOp::kAdd: return MakeFloat(x + y);
      case BinaryOp::kSub: return MakeFloat(x - y);
      case BinaryOp::kMul: return MakeFloat(x * y);
      case BinaryOp::kDiv: return y == 0 ? Null() : MakeFloat(x / y);
      default: return y == 0 ? Null() : MakeFloat(std::fmod(x, y));
    }
  }
  if (a.t == Type::kInt && b.t == Type::kInt) {
    switch (op) {
      case BinaryOp::kAdd: return MakeInt(a.i + b.i);
      case BinaryOp::kSub: return MakeInt(a.i - b.i);
      case BinaryOp::kMul: return MakeInt(a.i * b.i);
      case BinaryOp::kDiv: return b.i == 0 ? Null() : MakeInt(a.i / b.i);
      default: return b.i == 0 ? Null() : MakeInt(a.i % b.i);
    }
  }
  const I128 x = Micros(a), y = Micros(b);
  switch (op) {
    case BinaryOp::kAdd: return MakeDec(x + y);
    case BinaryOp::kSub: return MakeDec(x - y);
    case BinaryOp::kMul:
      // An int factor has no places: the product of the raw integers is exact.
      if (a.t == Type::kInt || b.t == Type::kInt) return MakeDec(a.i * b.i);
      return MakeDec(RoundDiv(x * y, 1'000'000));
    case BinaryOp::kDiv: return y == 0 ? Null() : MakeDec(RoundDiv(x * 1'000'000, y));
    default: return y == 0 ? Null() : MakeDec(x % y);
  }
}

RV RefCompare(BinaryOp op, const RV& a, const RV& b) {
  if (a.t == Type::kNull || b.t == Type::kNull) return MakeBool(false);
  int c = 0;
  bool unordered = false;
  if (a.t == Type::kString) {
    c = a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
  } else if (a.t == Type::kFloat || b.t == Type::kFloat) {
    const long double x = AsLong(a), y = AsLong(b);
    unordered = std::isnan(x) || std::isnan(y);
    c = x < y ? -1 : x > y ? 1 : 0;
  } else {
    c = Micros(a) < Micros(b) ? -1 : Micros(a) > Micros(b) ? 1 : 0;
  }
  switch (op) {
    case BinaryOp::kEq: return MakeBool(!unordered && c == 0);
    case BinaryOp::kNe: return MakeBool(unordered || c != 0);
    case BinaryOp::kLt: return MakeBool(!unordered && c < 0);
    case BinaryOp::kLe: return MakeBool(!unordered && c <= 0);
    case BinaryOp::kGt: return MakeBool(!unordered && c > 0);
    default: return MakeBool(!unordered && c >= 0);
  }
}

bool Truth(const RV& v) { return v.t == Type::kBool && v.b; }

Value ToValue(const RV& v) {
  switch (v.t) {
    case Type::kNull: return Value::Null();
    case Type::kInt: return Value::Int(static_cast<int64_t>(v.i));
    case Type::kDecimal: return Value::Decimal(static_cast<int64_t>(v.i));
    case Type::kFloat: return Value::Float(v.f);
    case Type::kBool: return Value::Bool(v.b);
    default: return Value::String(v.s);
  }
}
RV FromValue(const Value& v) {
  switch (v.type()) {
    case Type::kInt: return MakeInt(v.int_value());
    case Type::kDecimal: return MakeDec(v.decimal_micros());
    case Type::kFloat: return MakeFloat(v.float_value());
    case Type::kBool: return MakeBool(v.bool_value());
    case Type::kString: return {Type::kString, 0, 0, false, std::string(v.string_value())};
    default: return Null();
  }
}

// A random expression: the compiled node and the reference's evaluation of it.
struct Gen {
  ExprId id;
  std::function<RV(const Event&)> ref;
};

class RandomExprTest : public ExprTest {
 protected:
  std::mt19937_64 rng_{20240611};

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  Value RandomLiteral(Type t) {
    switch (t) {
      case Type::kInt: {
        static constexpr int64_t kEdges[] = {0, 1, -1, 7, std::numeric_limits<int64_t>::max(),
                                             std::numeric_limits<int64_t>::min(), 3'000'000'000'000};
        return Pick(4) == 0 ? Value::Int(kEdges[Pick(7)]) : Value::Int(Pick(21) - 10);
      }
      case Type::kDecimal: {
        static constexpr int64_t kEdges[] = {0, 1, 500'000, 1'500'000, 2'500'000,
                                             std::numeric_limits<int64_t>::max()};
        return Pick(3) == 0 ? Value::Decimal(kEdges[Pick(6)])
                            : Value::Decimal((Pick(2001) - 1000) * int64_t{1250});
      }
      case Type::kFloat: return Value::Float((Pick(41) - 20) / 4.0);
      case Type::kString: {
        static constexpr const char* kWords[] = {"", "a", "B", "casino", "Casino", "CASINO", "bet"};
        return Value::String(kWords[Pick(7)]);
      }
      default: return Value::Bool(Pick(2) == 0);
    }
  }

  Gen Leaf(Type t) {
    if (Pick(2) == 0) {
      const Value v = RandomLiteral(t);
      RV rv = FromValue(v);
      return {L(v), [rv](const Event&) { return rv; }};
    }
    // Fields: one per type; kMissing reads null whatever the type.
    SlotIndex slot = kMissing;
    if (Pick(5) != 0) {
      slot = t == Type::kInt ? kMcc : t == Type::kDecimal ? kAmount : t == Type::kFloat ? kLat
             : t == Type::kString ? kMerchant : kFlag;
    }
    return {Fld(slot, t), [slot](const Event& e) { return FromValue(e.field(slot)); }};
  }

  Type NumericType() { return std::array{Type::kInt, Type::kDecimal, Type::kFloat}[static_cast<size_t>(Pick(3))]; }

  Gen Numeric(Type want, int depth) {
    if (depth == 0 || Pick(3) == 0) return Leaf(want);
    const int shape = Pick(6);
    if (shape == 0) {
      Gen x = Numeric(want, depth - 1);
      return {Ok(b_.Unary(UnaryOp::kNegate, x.id)),
              [x](const Event& e) { return RefArith(BinaryOp::kSub, MakeInt(0), x.ref(e)); }};
    }
    if (shape == 1) {
      Gen x = Numeric(want, depth - 1);
      return {Call(Function::kAbs, {x.id}), [x](const Event& e) {
                RV v = x.ref(e);
                if (v.t == Type::kNull) return v;
                if (v.t == Type::kFloat) return MakeFloat(std::fabs(v.f));
                RV out = v.i < 0 ? MakeInt(-v.i) : MakeInt(v.i);
                if (out.t != Type::kNull) out.t = v.t;
                return out;
              }};
    }
    // Operand types whose promotion is `want`.
    Type a = want, c = want;
    if (want != Type::kInt && Pick(2) == 0) (Pick(2) == 0 ? a : c) = Pick(2) == 0 ? Type::kInt : want;
    if (want == Type::kFloat && Pick(3) == 0) (Pick(2) == 0 ? a : c) = Type::kDecimal;
    const BinaryOp op = std::array{BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv,
                                   BinaryOp::kMod}[static_cast<size_t>(Pick(5))];
    Gen x = Numeric(a, depth - 1);
    Gen y = Numeric(c, depth - 1);
    return {Bin(op, x.id, y.id), [x, y, op](const Event& e) { return RefArith(op, x.ref(e), y.ref(e)); }};
  }

  Gen String(int depth) {
    if (depth == 0 || Pick(2) == 0) return Leaf(Type::kString);
    Gen x = String(depth - 1);
    const bool upper = Pick(2) == 0;
    return {Call(upper ? Function::kUpper : Function::kLower, {x.id}), [x, upper](const Event& e) {
              RV v = x.ref(e);
              for (char& ch : v.s) ch = static_cast<char>(upper ? std::toupper(ch) : std::tolower(ch));
              return v;
            }};
  }

  Gen Boolean(int depth) {
    if (depth == 0) return Leaf(Type::kBool);
    const BinaryOp cmp = std::array{BinaryOp::kEq, BinaryOp::kNe, BinaryOp::kLt, BinaryOp::kLe,
                                    BinaryOp::kGt, BinaryOp::kGe}[static_cast<size_t>(Pick(6))];
    switch (Pick(8)) {
      case 0: case 1: {
        Gen x = Numeric(NumericType(), depth - 1);
        Gen y = Numeric(NumericType(), depth - 1);
        return {Bin(cmp, x.id, y.id), [x, y, cmp](const Event& e) { return RefCompare(cmp, x.ref(e), y.ref(e)); }};
      }
      case 2: {
        Gen x = String(depth - 1);
        Gen y = String(depth - 1);
        return {Bin(cmp, x.id, y.id), [x, y, cmp](const Event& e) { return RefCompare(cmp, x.ref(e), y.ref(e)); }};
      }
      case 3: case 4: {
        const bool is_and = Pick(2) == 0;
        Gen x = Boolean(depth - 1);
        Gen y = Boolean(depth - 1);
        return {Bin(is_and ? BinaryOp::kAnd : BinaryOp::kOr, x.id, y.id), [x, y, is_and](const Event& e) {
                  return MakeBool(is_and ? Truth(x.ref(e)) && Truth(y.ref(e)) : Truth(x.ref(e)) || Truth(y.ref(e)));
                }};
      }
      case 5: {
        Gen x = Boolean(depth - 1);
        return {Ok(b_.Unary(UnaryOp::kNot, x.id)), [x](const Event& e) { return MakeBool(!Truth(x.ref(e))); }};
      }
      case 6: {
        const bool negate = Pick(2) == 0;
        Gen x = Numeric(NumericType(), depth - 1);
        return {b_.IsNull(x.id, negate), [x, negate](const Event& e) {
                  return MakeBool((x.ref(e).t == Type::kNull) != negate);
                }};
      }
      default: {
        const Type t = NumericType();
        const bool negate = Pick(2) == 0;
        std::vector<Value> list;
        std::vector<RV> ref_list;
        const int n = Pick(2) == 0 ? Pick(4) : 20 + Pick(20);  // linear and hashed
        for (int i = 0; i < n; ++i) {
          list.push_back(RandomLiteral(NumericType()));
          ref_list.push_back(FromValue(list.back()));
        }
        Gen x = Numeric(t, depth - 1);
        return {Ok(b_.In(x.id, list, negate)), [x, ref_list, negate](const Event& e) {
                  const RV v = x.ref(e);
                  if (v.t == Type::kNull) return MakeBool(false);
                  bool found = false;
                  for (const RV& element : ref_list) found = found || Truth(RefCompare(BinaryOp::kEq, v, element));
                  return MakeBool(found != negate);
                }};
      }
    }
  }

  std::shared_ptr<const Event> RandomEvent() {
    std::vector<std::pair<SlotIndex, Value>> fields;
    for (Type t : {Type::kInt, Type::kDecimal, Type::kFloat, Type::kString, Type::kBool}) {
      const SlotIndex slot = t == Type::kInt ? kMcc : t == Type::kDecimal ? kAmount
                             : t == Type::kFloat ? kLat : t == Type::kString ? kMerchant : kFlag;
      if (Pick(6) != 0) fields.emplace_back(slot, RandomLiteral(t));
    }
    return MakeEvent(fields);
  }
};

TEST_F(RandomExprTest, AgreesWithTheReferenceInterpreter) {
  int compared = 0;
  int non_null = 0;
  int trues = 0;
  for (int round = 0; round < 3000; ++round) {
    const bool boolean = Pick(2) == 0;
    const Type numeric = NumericType();
    Gen g = boolean ? Boolean(4) : Numeric(numeric, 4);
    auto expr = b_.Build(g.id);
    ASSERT_TRUE(expr.ok()) << expr.error().ToString();
    for (int i = 0; i < 5; ++i) {
      event_ = RandomEvent();
      ctx_.event = event_.get();
      const Value got = (*expr)->Evaluate(ctx_);
      const RV want = g.ref(*event_);
      ASSERT_TRUE(Same(got, ToValue(want))) << "round " << round;
      ++compared;
      non_null += got.is_null() ? 0 : 1;
      trues += got.type() == Type::kBool && got.bool_value() ? 1 : 0;
    }
  }
  EXPECT_EQ(compared, 15000);
  // The generator must not degenerate into all-null or all-false answers.
  EXPECT_GT(non_null, compared / 2);
  EXPECT_GT(trues, compared / 10);
}

}  // namespace
}  // namespace cep::testing_util
