#include "cep/window/internal/aggregate_ops.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace cep::internal {

bool Contributes(const AggregateSpec& spec, const AggregateInput& input) {
  DCHECK(spec.has_filter || input.included, "an aggregate without filter got included=false");
  if (!input.included) return false;
  if (spec.function == AggregateFunction::kCount) return true;
  if (input.value.is_null()) return false;
  CHECK(input.value.type() == spec.value_type, "aggregate input of the wrong type");
  return input.value.type() != Type::kFloat || !std::isnan(input.value.float_value());
}

uint64_t PayloadOf(const Value& value) {
  switch (value.type()) {
    case Type::kNull:
      return 0;
    case Type::kBool:
      return value.bool_value() ? 1 : 0;
    case Type::kInt:
      return static_cast<uint64_t>(value.int_value());
    case Type::kDecimal:
      return static_cast<uint64_t>(value.decimal_micros());
    case Type::kTime:
      return static_cast<uint64_t>(value.time_value().millis());
    case Type::kDuration:
      return static_cast<uint64_t>(value.duration_value().millis());
    case Type::kFloat: {
      const double f = value.float_value();
      return std::bit_cast<uint64_t>(f == 0.0 ? 0.0 : f);  // -0.0 and 0.0 are one value
    }
    case Type::kString:
      break;
  }
  CHECK(false, "no payload for a string value");
  return 0;
}

Value ValueOfPayload(Type type, uint64_t payload) {
  const auto i = static_cast<int64_t>(payload);
  switch (type) {
    case Type::kBool:
      return Value::Bool(payload != 0);
    case Type::kInt:
      return Value::Int(i);
    case Type::kDecimal:
      return Value::Decimal(i);
    case Type::kTime:
      return Value::Time(EventTime::FromMillis(i));
    case Type::kDuration:
      return Value::Dur(Duration::Millis(i));
    case Type::kFloat:
      return Value::Float(std::bit_cast<double>(payload));
    case Type::kNull:
    case Type::kString:
      break;
  }
  CHECK(false, "no value of this type from a payload");
  return Value::Null();
}

uint64_t AddPayload(Type type, uint64_t a, uint64_t b) {
  if (type == Type::kFloat) {
    return std::bit_cast<uint64_t>(std::bit_cast<double>(a) + std::bit_cast<double>(b));
  }
  return a + b;
}

uint64_t SubtractPayload(Type type, uint64_t a, uint64_t b) {
  if (type == Type::kFloat) {
    return std::bit_cast<uint64_t>(std::bit_cast<double>(a) - std::bit_cast<double>(b));
  }
  return a - b;
}

bool PayloadLess(Type type, uint64_t a, uint64_t b) {
  if (type == Type::kFloat) return std::bit_cast<double>(a) < std::bit_cast<double>(b);
  return static_cast<int64_t>(a) < static_cast<int64_t>(b);
}

std::string_view DistinctKey(const Value& value, char (&scratch)[8]) {
  if (value.type() == Type::kString) return value.string_value();
  const uint64_t payload = PayloadOf(value);
  std::memcpy(scratch, &payload, sizeof(payload));
  return {scratch, sizeof(payload)};
}

void Accumulate(const AggregateSpec& spec, AggregateSlot& slot, uint64_t payload) {
  switch (spec.function) {
    case AggregateFunction::kCount:
    case AggregateFunction::kCountDistinct:
      break;
    case AggregateFunction::kSum:
    case AggregateFunction::kAvg:
      slot.payload = AddPayload(spec.value_type, slot.payload, payload);
      break;
    case AggregateFunction::kMin:
    case AggregateFunction::kMax:
      if (slot.count == 0 || Improves(spec.function, spec.value_type, payload, slot.payload)) {
        slot.payload = payload;
      }
      break;
  }
  ++slot.count;
}

void MergeSlot(const AggregateSpec& spec, AggregateSlot& into, const AggregateSlot& from) {
  if (from.count == 0) return;
  if (spec.function == AggregateFunction::kMin || spec.function == AggregateFunction::kMax) {
    if (into.count == 0 || Improves(spec.function, spec.value_type, from.payload, into.payload)) {
      into.payload = from.payload;
    }
  } else if (spec.function == AggregateFunction::kSum || spec.function == AggregateFunction::kAvg) {
    into.payload = AddPayload(spec.value_type, into.payload, from.payload);
  }
  into.count += from.count;
}

int64_t DivideRounded(int64_t a, int64_t b) {
  const int64_t quotient = a / b;
  const int64_t remainder = a % b;
  const uint64_t abs_remainder =
      remainder < 0 ? 0 - static_cast<uint64_t>(remainder) : static_cast<uint64_t>(remainder);
  // 2|r| >= b without overflowing: |r| >= b - |r|.
  if (abs_remainder >= static_cast<uint64_t>(b) - abs_remainder) {
    return a < 0 ? quotient - 1 : quotient + 1;
  }
  return quotient;
}

namespace {

Value FinishAverage(Type type, const AggregateSlot& slot) {
  if (slot.count == 0) return Value::Null();
  const auto sum = static_cast<int64_t>(slot.payload);
  switch (type) {
    case Type::kFloat:
      return Value::Float(std::bit_cast<double>(slot.payload) / static_cast<double>(slot.count));
    case Type::kInt:
      return Value::Float(static_cast<double>(sum) / static_cast<double>(slot.count));
    case Type::kDecimal:
      return Value::Decimal(DivideRounded(sum, slot.count));
    case Type::kDuration:
      return Value::Dur(Duration::Millis(DivideRounded(sum, slot.count)));
    default:
      break;
  }
  CHECK(false, "avg of a type the spec rejects");
  return Value::Null();
}

}  // namespace

Value FinishAggregate(const AggregateSpec& spec, const AggregateSlot& slot, size_t distinct) {
  switch (spec.function) {
    case AggregateFunction::kCount:
      return Value::Int(slot.count);
    case AggregateFunction::kCountDistinct:
      return Value::Int(static_cast<int64_t>(distinct));
    case AggregateFunction::kSum:
      // An empty float sum may hold rounding residue; nothing contributed means exactly 0.
      return ValueOfPayload(spec.value_type, slot.count == 0 ? 0 : slot.payload);
    case AggregateFunction::kAvg:
      return FinishAverage(spec.value_type, slot);
    case AggregateFunction::kMin:
    case AggregateFunction::kMax:
      return slot.count == 0 ? Value::Null() : ValueOfPayload(spec.value_type, slot.payload);
  }
  return Value::Null();
}

}  // namespace cep::internal
