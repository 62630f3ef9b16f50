// Comparisons == != < <= > >=. One evaluation function per (operand types,
// operator). A comparison with null is false, `!=` included: null is not a value
// that differs from 5, it is the absence of one (README, "Nulls").

#include <compare>
#include <limits>
#include <string>

#include "cep/expr/internal/numeric.h"
#include "cep/expr/internal/ops.h"

namespace cep::internal {
namespace {

static_assert(std::numeric_limits<long double>::digits >= 64,
              "CompareIntFloat needs a long double that holds any int64 exactly");

template <Type TA, Type TB>
std::partial_ordering Order(const Value& a, const Value& b) {
  using enum Type;
  if constexpr (TA == kInt && TB == kDecimal) return CompareIntDecimal(a.int_value(), b.decimal_micros());
  if constexpr (TA == kDecimal && TB == kInt) return 0 <=> CompareIntDecimal(b.int_value(), a.decimal_micros());
  if constexpr (TA == kInt && TB == kFloat) return CompareIntFloat(a.int_value(), b.float_value());
  if constexpr (TA == kFloat && TB == kInt) return 0 <=> CompareIntFloat(b.int_value(), a.float_value());
  if constexpr (TA == kDecimal && TB == kFloat) {
    return CompareDecimalFloat(a.decimal_micros(), b.float_value());
  }
  if constexpr (TA == kFloat && TB == kDecimal) {
    return 0 <=> CompareDecimalFloat(b.decimal_micros(), a.float_value());
  }
  if constexpr (TA == TB) {
    if constexpr (TA == kFloat) return a.float_value() <=> b.float_value();
    // Bytewise: char_traits<char> compares as unsigned char.
    if constexpr (TA == kString) return a.string_value() <=> b.string_value();
    if constexpr (TA == kBool) return a.bool_value() <=> b.bool_value();
    if constexpr (TA == kInt) return a.int_value() <=> b.int_value();
    if constexpr (TA == kDecimal) return a.decimal_micros() <=> b.decimal_micros();
    if constexpr (TA == kTime) return a.time_value() <=> b.time_value();
    if constexpr (TA == kDuration) return a.duration_value() <=> b.duration_value();
  }
}

template <BinaryOp kOp>
bool Holds(std::partial_ordering order) {
  if constexpr (kOp == BinaryOp::kEq) return order == 0;
  if constexpr (kOp == BinaryOp::kNe) return order != 0;
  if constexpr (kOp == BinaryOp::kLt) return order < 0;
  if constexpr (kOp == BinaryOp::kLe) return order <= 0;
  if constexpr (kOp == BinaryOp::kGt) return order > 0;
  if constexpr (kOp == BinaryOp::kGe) return order >= 0;
}

template <Type TA, Type TB, BinaryOp kOp>
Value EvalCompare(const Node& node, EvalContext& ctx) {
  const Value a = EvalKid(node, 0, ctx);
  if (a.is_null()) return Value::Bool(false);
  const Value b = EvalKid(node, 1, ctx);
  if (b.is_null()) return Value::Bool(false);
  return Value::Bool(Holds<kOp>(Order<TA, TB>(a, b)));
}

template <Type TA, Type TB>
EvalFn PickOp(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEq: return &EvalCompare<TA, TB, BinaryOp::kEq>;
    case BinaryOp::kNe: return &EvalCompare<TA, TB, BinaryOp::kNe>;
    case BinaryOp::kLt: return &EvalCompare<TA, TB, BinaryOp::kLt>;
    case BinaryOp::kLe: return &EvalCompare<TA, TB, BinaryOp::kLe>;
    case BinaryOp::kGt: return &EvalCompare<TA, TB, BinaryOp::kGt>;
    case BinaryOp::kGe: return &EvalCompare<TA, TB, BinaryOp::kGe>;
    default: return nullptr;
  }
}

template <Type TA>
EvalFn PickNumericRight(Type b, BinaryOp op) {
  switch (b) {
    case Type::kInt: return PickOp<TA, Type::kInt>(op);
    case Type::kDecimal: return PickOp<TA, Type::kDecimal>(op);
    case Type::kFloat: return PickOp<TA, Type::kFloat>(op);
    default: return nullptr;
  }
}

EvalFn Pick(BinaryOp op, Type a, Type b) {
  using enum Type;
  if (IsNumeric(a) && IsNumeric(b)) {
    if (a == kInt) return PickNumericRight<kInt>(b, op);
    if (a == kDecimal) return PickNumericRight<kDecimal>(b, op);
    return PickNumericRight<kFloat>(b, op);
  }
  if (a != b) return nullptr;
  switch (a) {
    case kString: return PickOp<kString, kString>(op);
    case kTime: return PickOp<kTime, kTime>(op);
    case kDuration: return PickOp<kDuration, kDuration>(op);
    case kBool:
      if (op == BinaryOp::kEq || op == BinaryOp::kNe) return PickOp<kBool, kBool>(op);
      return nullptr;
    default: return nullptr;
  }
}

}  // namespace

Result<OpChoice> ChooseComparison(BinaryOp op, Type a, Type b) {
  // A comparison with an always-null operand is always false.
  if (a == Type::kNull || b == Type::kNull) return OpChoice{&EvalFalse, Type::kBool};
  if (EvalFn fn = Pick(op, a, b)) return OpChoice{fn, Type::kBool};
  return InvalidArgument("cannot compare " + std::string(TypeName(a)) + " " +
                         std::string(BinaryOpName(op)) + " " + std::string(TypeName(b)));
}

}  // namespace cep::internal
