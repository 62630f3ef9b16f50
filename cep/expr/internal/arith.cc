// Arithmetic: + - * / % and unary minus. One evaluation function per (operand
// types, operator), chosen at build time, so the hot path has no type switch.
// Decimal results are computed in 128 bits from both operands' raw integers, so
// int/decimal mixes are exact and only the final value can overflow.

#include <cmath>
#include <string>

#include "cep/expr/internal/numeric.h"
#include "cep/expr/internal/ops.h"

namespace cep::internal {
namespace {

constexpr Type Promote(Type a, Type b) {
  if (a == Type::kFloat || b == Type::kFloat) return Type::kFloat;
  if (a == Type::kDecimal || b == Type::kDecimal) return Type::kDecimal;
  return Type::kInt;
}

template <Type T>
int64_t RawInt(const Value& v) {
  if constexpr (T == Type::kInt) return v.int_value();
  if constexpr (T == Type::kDecimal) return v.decimal_micros();
  if constexpr (T == Type::kTime) return v.time_value().millis();
  if constexpr (T == Type::kDuration) return v.duration_value().millis();
}
template <Type T>
double AsFloat(const Value& v) {
  if constexpr (T == Type::kFloat) return v.float_value();
  if constexpr (T != Type::kFloat) return static_cast<double>(RawInt<T>(v)) /
                                          (T == Type::kDecimal ? 1e6 : 1.0);
}
// Decimal places of an operand's raw integer.
template <Type T>
constexpr int Scale() {
  return T == Type::kDecimal ? kDecimalPlaces : 0;
}
constexpr Int128 Pow10(int n) { return n == 0 ? 1 : 10 * Pow10(n - 1); }

Value FromOptional(Type type, std::optional<int64_t> raw) {
  if (!raw) return Value::Null();
  switch (type) {
    case Type::kInt: return Value::Int(*raw);
    case Type::kDecimal: return Value::Decimal(*raw);
    case Type::kTime: return Value::Time(EventTime::FromMillis(*raw));
    case Type::kDuration: return Value::Dur(Duration::Millis(*raw));
    default: CHECK(false, "not an integer-backed type");
  }
  return Value::Null();
}

template <BinaryOp kOp>
Value FloatOp(double x, double y) {
  double r = 0;
  if constexpr (kOp == BinaryOp::kAdd) r = x + y;
  if constexpr (kOp == BinaryOp::kSub) r = x - y;
  if constexpr (kOp == BinaryOp::kMul) r = x * y;
  if constexpr (kOp == BinaryOp::kDiv) {
    if (y == 0) return Value::Null();
    r = x / y;
  }
  if constexpr (kOp == BinaryOp::kMod) {
    if (y == 0) return Value::Null();
    r = std::fmod(x, y);
  }
  // Overflow to infinity (or NaN from an infinite input) is null, like int overflow.
  return std::isfinite(r) ? Value::Float(r) : Value::Null();
}

template <BinaryOp kOp>
std::optional<int64_t> IntOp(int64_t x, int64_t y) {
  if constexpr (kOp == BinaryOp::kAdd) return CheckedAdd(x, y);
  if constexpr (kOp == BinaryOp::kSub) return CheckedSub(x, y);
  if constexpr (kOp == BinaryOp::kMul) return CheckedMul(x, y);
  if constexpr (kOp == BinaryOp::kDiv) return CheckedDiv(x, y);
  if constexpr (kOp == BinaryOp::kMod) return CheckedMod(x, y);
}

template <Type TA, Type TB, BinaryOp kOp>
std::optional<int64_t> DecimalOp(int64_t x, int64_t y) {
  constexpr int kSa = Scale<TA>();
  constexpr int kSb = Scale<TB>();
  if constexpr (kOp == BinaryOp::kMul) {
    const Int128 product = static_cast<Int128>(x) * y;  // scale kSa + kSb
    if constexpr (kSa + kSb == 2 * kDecimalPlaces) return DivRoundHalfEven(product, kMicrosPerUnit);
    if constexpr (kSa + kSb != 2 * kDecimalPlaces) return FromInt128(product);
  } else if constexpr (kOp == BinaryOp::kDiv) {
    // Scale the dividend so the quotient has six places.
    return DivRoundHalfEven(static_cast<Int128>(x) * Pow10(kDecimalPlaces + kSb - kSa), y);
  } else {
    const Int128 a = static_cast<Int128>(x) * Pow10(kDecimalPlaces - kSa);
    const Int128 b = static_cast<Int128>(y) * Pow10(kDecimalPlaces - kSb);
    if constexpr (kOp == BinaryOp::kAdd) return FromInt128(a + b);
    if constexpr (kOp == BinaryOp::kSub) return FromInt128(a - b);
    if constexpr (kOp == BinaryOp::kMod) {
      if (b == 0) return std::nullopt;
      return FromInt128(a % b);
    }
  }
}

template <Type TA, Type TB, BinaryOp kOp>
Value EvalNumeric(const Node& node, EvalContext& ctx) {
  const Value a = EvalKid(node, 0, ctx);
  if (a.is_null()) return a;
  const Value b = EvalKid(node, 1, ctx);
  if (b.is_null()) return b;
  constexpr Type kDomain = Promote(TA, TB);
  if constexpr (kDomain == Type::kFloat) {
    return FloatOp<kOp>(AsFloat<TA>(a), AsFloat<TB>(b));
  } else if constexpr (kDomain == Type::kInt) {
    return FromOptional(Type::kInt, IntOp<kOp>(RawInt<TA>(a), RawInt<TB>(b)));
  } else {
    return FromOptional(Type::kDecimal, DecimalOp<TA, TB, kOp>(RawInt<TA>(a), RawInt<TB>(b)));
  }
}

// Time and duration arithmetic works on milliseconds; the result type is the node's.
template <Type TA, Type TB, BinaryOp kOp>
Value EvalTemporal(const Node& node, EvalContext& ctx) {
  const Value a = EvalKid(node, 0, ctx);
  if (a.is_null()) return a;
  const Value b = EvalKid(node, 1, ctx);
  if (b.is_null()) return b;
  return FromOptional(node.type, IntOp<kOp>(RawInt<TA>(a), RawInt<TB>(b)));
}

template <Type TA, Type TB>
EvalFn PickNumeric(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return &EvalNumeric<TA, TB, BinaryOp::kAdd>;
    case BinaryOp::kSub: return &EvalNumeric<TA, TB, BinaryOp::kSub>;
    case BinaryOp::kMul: return &EvalNumeric<TA, TB, BinaryOp::kMul>;
    case BinaryOp::kDiv: return &EvalNumeric<TA, TB, BinaryOp::kDiv>;
    case BinaryOp::kMod: return &EvalNumeric<TA, TB, BinaryOp::kMod>;
    default: return nullptr;
  }
}
template <Type TA>
EvalFn PickNumeric(Type b, BinaryOp op) {
  switch (b) {
    case Type::kInt: return PickNumeric<TA, Type::kInt>(op);
    case Type::kDecimal: return PickNumeric<TA, Type::kDecimal>(op);
    case Type::kFloat: return PickNumeric<TA, Type::kFloat>(op);
    default: return nullptr;
  }
}
EvalFn PickNumeric(Type a, Type b, BinaryOp op) {
  switch (a) {
    case Type::kInt: return PickNumeric<Type::kInt>(b, op);
    case Type::kDecimal: return PickNumeric<Type::kDecimal>(b, op);
    case Type::kFloat: return PickNumeric<Type::kFloat>(b, op);
    default: return nullptr;
  }
}

// The temporal forms the language allows: time - time, time +- duration,
// duration + time, duration +- duration, duration * int, int * duration,
// duration / int (truncating, like int division).
std::optional<OpChoice> PickTemporal(BinaryOp op, Type a, Type b) {
  using enum Type;
  if (a == kTime && b == kTime && op == BinaryOp::kSub) {
    return OpChoice{&EvalTemporal<kTime, kTime, BinaryOp::kSub>, kDuration};
  }
  if (a == kTime && b == kDuration) {
    if (op == BinaryOp::kAdd) return OpChoice{&EvalTemporal<kTime, kDuration, BinaryOp::kAdd>, kTime};
    if (op == BinaryOp::kSub) return OpChoice{&EvalTemporal<kTime, kDuration, BinaryOp::kSub>, kTime};
  }
  if (a == kDuration && b == kTime && op == BinaryOp::kAdd) {
    return OpChoice{&EvalTemporal<kDuration, kTime, BinaryOp::kAdd>, kTime};
  }
  if (a == kDuration && b == kDuration) {
    if (op == BinaryOp::kAdd) {
      return OpChoice{&EvalTemporal<kDuration, kDuration, BinaryOp::kAdd>, kDuration};
    }
    if (op == BinaryOp::kSub) {
      return OpChoice{&EvalTemporal<kDuration, kDuration, BinaryOp::kSub>, kDuration};
    }
  }
  if (a == kDuration && b == kInt) {
    if (op == BinaryOp::kMul) return OpChoice{&EvalTemporal<kDuration, kInt, BinaryOp::kMul>, kDuration};
    if (op == BinaryOp::kDiv) return OpChoice{&EvalTemporal<kDuration, kInt, BinaryOp::kDiv>, kDuration};
  }
  if (a == kInt && b == kDuration && op == BinaryOp::kMul) {
    return OpChoice{&EvalTemporal<kInt, kDuration, BinaryOp::kMul>, kDuration};
  }
  return std::nullopt;
}

bool IsArithmeticOperand(Type t) {
  return IsNumeric(t) || t == Type::kTime || t == Type::kDuration || t == Type::kNull;
}

template <Type T>
Value EvalNegateTyped(const Node& node, EvalContext& ctx) {
  const Value a = EvalKid(node, 0, ctx);
  if (a.is_null()) return a;
  if constexpr (T == Type::kFloat) return Value::Float(-a.float_value());
  if constexpr (T != Type::kFloat) return FromOptional(T, CheckedNeg(RawInt<T>(a)));
}

}  // namespace

Result<OpChoice> ChooseArithmetic(BinaryOp op, Type a, Type b) {
  auto mismatch = [&] {
    return InvalidArgument("operator " + std::string(BinaryOpName(op)) + " cannot apply to " +
                           std::string(TypeName(a)) + " and " + std::string(TypeName(b)));
  };
  if (!IsArithmeticOperand(a) || !IsArithmeticOperand(b)) return mismatch();
  // An always-null operand makes the result always null, whatever the other side.
  if (a == Type::kNull || b == Type::kNull) return OpChoice{&EvalNull, Type::kNull};
  if (IsNumeric(a) && IsNumeric(b)) {
    if (EvalFn fn = PickNumeric(a, b, op)) return OpChoice{fn, Promote(a, b)};
  }
  if (auto temporal = PickTemporal(op, a, b)) return *temporal;
  return mismatch();
}

Result<OpChoice> ChooseNegate(Type operand) {
  switch (operand) {
    case Type::kNull: return OpChoice{&EvalNull, Type::kNull};
    case Type::kInt: return OpChoice{&EvalNegateTyped<Type::kInt>, operand};
    case Type::kDecimal: return OpChoice{&EvalNegateTyped<Type::kDecimal>, operand};
    case Type::kFloat: return OpChoice{&EvalNegateTyped<Type::kFloat>, operand};
    case Type::kDuration: return OpChoice{&EvalNegateTyped<Type::kDuration>, operand};
    default:
      return InvalidArgument("unary minus cannot apply to " + std::string(TypeName(operand)));
  }
}

}  // namespace cep::internal
