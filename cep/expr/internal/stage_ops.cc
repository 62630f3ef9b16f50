// References to the events a pattern stage accepted so far, read through the
// MatchView the NFA passes to a condition. Without a match view (outside a
// pattern) a stage has no events: references are null and count(stage) is 0.
//
// MatchView only offers iteration, so `stage.field` walks the stage to its last
// event: O(events in the stage), which is small for bounded patterns.

#include <string>

#include "cep/expr/internal/numeric.h"
#include "cep/expr/internal/ops.h"

namespace cep::internal {
namespace {

// The field of one event as the node's field type, or null (absent or mistyped).
Value FieldOf(const Event& event, const Node& node) {
  if (node.slot >= event.field_count()) return Value::Null();
  const Value& v = event.field(node.slot);
  return v.type() == node.field_type ? v : Value::Null();
}

template <typename Fn>
void ForEachEventOf(const Node& node, EvalContext& ctx, Fn&& fn) {
  if (ctx.match == nullptr) return;
  ctx.match->ForEachEvent(node.stage, fn);
}

Value StageFirst(const Node& node, EvalContext& ctx) {
  const Event* first = nullptr;
  ForEachEventOf(node, ctx, [&](const Event& e) {
    if (first == nullptr) first = &e;
  });
  return first == nullptr ? Value::Null() : FieldOf(*first, node);
}

Value StageLast(const Node& node, EvalContext& ctx) {
  const Event* last = nullptr;
  ForEachEventOf(node, ctx, [&](const Event& e) { last = &e; });
  return last == nullptr ? Value::Null() : FieldOf(*last, node);
}

// Sum and average of the non-null values; null when there are none. Integer sums
// are exact in 128 bits; a sum outside int64 is null (overflow, README).
template <Type T, bool kAverage>
Value StageSumOrAvg(const Node& node, EvalContext& ctx) {
  Int128 exact = 0;
  double inexact = 0;
  int64_t n = 0;
  ForEachEventOf(node, ctx, [&](const Event& e) {
    const Value v = FieldOf(e, node);
    if (v.is_null()) return;
    ++n;
    if constexpr (T == Type::kFloat) inexact += v.float_value();
    if constexpr (T == Type::kInt) exact += v.int_value();
    if constexpr (T == Type::kDecimal) exact += v.decimal_micros();
    if constexpr (T == Type::kDuration) exact += v.duration_value().millis();
  });
  if (n == 0) return Value::Null();
  if constexpr (T == Type::kFloat) return Value::Float(kAverage ? inexact / static_cast<double>(n) : inexact);
  if constexpr (T != Type::kFloat) {
    if constexpr (kAverage && T == Type::kInt) {
      return Value::Float(static_cast<double>(exact) / static_cast<double>(n));
    }
    const std::optional<int64_t> out = kAverage ? DivRoundHalfEven(exact, n) : FromInt128(exact);
    if (!out) return Value::Null();
    if constexpr (T == Type::kInt) return Value::Int(*out);
    if constexpr (T == Type::kDecimal) return Value::Decimal(*out);
    if constexpr (T == Type::kDuration) return Value::Dur(Duration::Millis(*out));
  }
}

template <Type T>
bool Less(const Value& a, const Value& b) {
  if constexpr (T == Type::kFloat) return a.float_value() < b.float_value();
  if constexpr (T == Type::kString) return a.string_value() < b.string_value();
  if constexpr (T == Type::kInt) return a.int_value() < b.int_value();
  if constexpr (T == Type::kDecimal) return a.decimal_micros() < b.decimal_micros();
  if constexpr (T == Type::kTime) return a.time_value() < b.time_value();
  if constexpr (T == Type::kDuration) return a.duration_value() < b.duration_value();
}

// Min or max of the non-null values; the first one wins ties.
template <Type T, bool kMax>
Value StageMinMax(const Node& node, EvalContext& ctx) {
  Value best;
  ForEachEventOf(node, ctx, [&](const Event& e) {
    const Value v = FieldOf(e, node);
    if (v.is_null()) return;
    if (best.is_null() || (kMax ? Less<T>(best, v) : Less<T>(v, best))) best = v;
  });
  return best;
}

template <Type T>
std::optional<OpChoice> PickSumAvg(StageAggregateFn fn) {
  if (fn == StageAggregateFn::kSum) return OpChoice{&StageSumOrAvg<T, false>, T};
  return OpChoice{&StageSumOrAvg<T, true>, T == Type::kInt ? Type::kFloat : T};
}

template <Type T>
OpChoice PickMinMax(StageAggregateFn fn) {
  if (fn == StageAggregateFn::kMin) return OpChoice{&StageMinMax<T, false>, T};
  return OpChoice{&StageMinMax<T, true>, T};
}

std::optional<OpChoice> Pick(StageAggregateFn fn, Type field) {
  using enum Type;
  switch (fn) {
    case StageAggregateFn::kFirst: return OpChoice{&StageFirst, field};
    case StageAggregateFn::kLast: return OpChoice{&StageLast, field};
    case StageAggregateFn::kSum:
    case StageAggregateFn::kAvg:
      switch (field) {
        case kInt: return PickSumAvg<kInt>(fn);
        case kDecimal: return PickSumAvg<kDecimal>(fn);
        case kFloat: return PickSumAvg<kFloat>(fn);
        case kDuration: return PickSumAvg<kDuration>(fn);
        default: return std::nullopt;
      }
    case StageAggregateFn::kMin:
    case StageAggregateFn::kMax:
      switch (field) {
        case kInt: return PickMinMax<kInt>(fn);
        case kDecimal: return PickMinMax<kDecimal>(fn);
        case kFloat: return PickMinMax<kFloat>(fn);
        case kString: return PickMinMax<kString>(fn);
        case kTime: return PickMinMax<kTime>(fn);
        case kDuration: return PickMinMax<kDuration>(fn);
        default: return std::nullopt;
      }
  }
  return std::nullopt;
}

}  // namespace

// `stage.field`: the field of the last event the stage accepted so far.
Value EvalStageField(const Node& node, EvalContext& ctx) { return StageLast(node, ctx); }

Value EvalStageCount(const Node& node, EvalContext& ctx) {
  int64_t n = 0;
  ForEachEventOf(node, ctx, [&](const Event&) { ++n; });
  return Value::Int(n);
}

Result<OpChoice> ChooseStageAggregate(StageAggregateFn fn, Type field) {
  if (field != Type::kNull) {
    if (auto choice = Pick(fn, field)) return *choice;
  }
  static constexpr const char* kNames[] = {"sum", "avg", "min", "max", "first", "last"};
  return InvalidArgument(std::string(kNames[static_cast<int>(fn)]) + " cannot apply to a " +
                         std::string(TypeName(field)) + " field");
}

}  // namespace cep::internal
