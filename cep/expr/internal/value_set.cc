#include "cep/expr/internal/value_set.h"

#include <bit>
#include <cmath>
#include <functional>

#include "cep/expr/internal/node.h"
#include "cep/expr/internal/numeric.h"
#include "cep/expr/internal/ops.h"

namespace cep::internal {
namespace {

uint64_t HashInt(int64_t key) {
  // Fibonacci hashing spreads clustered keys (MCC codes, ids) over the table.
  return static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ULL;
}
uint64_t HashString(std::string_view key) { return std::hash<std::string_view>{}(key); }

// Doubles are compared by value: -0.0 equals 0.0, and NaN equals nothing.
std::optional<int64_t> FloatKey(double d) {
  if (std::isnan(d)) return std::nullopt;
  if (d == 0) d = 0;
  return std::bit_cast<int64_t>(d);
}

// The exact integer behind an int, time, duration or bool.
int64_t IntKey(const Value& v) {
  switch (v.type()) {
    case Type::kBool: return v.bool_value() ? 1 : 0;
    case Type::kInt: return v.int_value();
    case Type::kTime: return v.time_value().millis();
    case Type::kDuration: return v.duration_value().millis();
    default: CHECK(false, "not an integer-backed value");
  }
  return 0;
}

bool Comparable(Type probe, Type element) {
  if (probe == element) return true;
  return IsNumeric(probe) && IsNumeric(element);
}

}  // namespace

Result<std::shared_ptr<const ValueSet>> ValueSet::Make(Type probe, std::span<const Value> list) {
  CHECK(probe != Type::kNull, "an always-null `in` needs no set");
  std::shared_ptr<ValueSet> set(new ValueSet());
  set->probe_ = probe;
  bool any_float = probe == Type::kFloat;
  bool any_decimal = probe == Type::kDecimal;
  for (const Value& v : list) {
    if (v.is_null()) continue;
    if (!Comparable(probe, v.type())) {
      return InvalidArgument("`in` list has a " + std::string(TypeName(v.type())) +
                             " element for a " + std::string(TypeName(probe)) + " operand");
    }
    any_float = any_float || v.type() == Type::kFloat;
    any_decimal = any_decimal || v.type() == Type::kDecimal;
  }
  set->domain_ = probe == Type::kString ? Domain::kString
                 : any_float            ? Domain::kFloat
                 : any_decimal          ? Domain::kDecimal
                                        : Domain::kInt;
  for (const Value& v : list) {
    if (v.is_null()) continue;
    if (set->domain_ == Domain::kString) {
      set->strings_.emplace_back(v.string_value());
      continue;
    }
    std::optional<int64_t> key = set->Key(v);
    // An element the domain cannot represent equals no probe.
    if (key) set->ints_.push_back(*key);
  }
  set->Index();
  return std::shared_ptr<const ValueSet>(std::move(set));
}

std::optional<int64_t> ValueSet::Key(const Value& v) const {
  switch (domain_) {
    case Domain::kFloat: return FloatKey(v.AsDouble());
    case Domain::kDecimal:
      return v.type() == Type::kInt ? IntToDecimal(v.int_value()) : v.decimal_micros();
    case Domain::kInt: return IntKey(v);
    case Domain::kString: break;
  }
  CHECK(false, "string sets have no integer keys");
  return std::nullopt;
}

void ValueSet::Index() {
  const size_t n = size();
  if (n <= kMaxLinear) return;
  const size_t capacity = std::bit_ceil(2 * n);
  CHECK(capacity < kEmpty, "`in` list too long");
  table_.assign(capacity, kEmpty);
  mask_ = static_cast<uint32_t>(capacity - 1);
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t hash = domain_ == Domain::kString ? HashString(strings_[i]) : HashInt(ints_[i]);
    uint32_t slot = static_cast<uint32_t>(hash >> 32) & mask_;
    while (table_[slot] != kEmpty) slot = (slot + 1) & mask_;
    table_[slot] = i;  // duplicates are harmless: the first one is found
  }
}

bool ValueSet::ContainsInt(int64_t key) const {
  if (table_.empty()) {
    for (int64_t element : ints_) {
      if (element == key) return true;
    }
    return false;
  }
  for (uint32_t slot = static_cast<uint32_t>(HashInt(key) >> 32) & mask_; table_[slot] != kEmpty;
       slot = (slot + 1) & mask_) {
    if (ints_[table_[slot]] == key) return true;
  }
  return false;
}

bool ValueSet::ContainsString(std::string_view key) const {
  if (table_.empty()) {
    for (const std::string& element : strings_) {
      if (element == key) return true;
    }
    return false;
  }
  for (uint32_t slot = static_cast<uint32_t>(HashString(key) >> 32) & mask_;
       table_[slot] != kEmpty; slot = (slot + 1) & mask_) {
    if (strings_[table_[slot]] == key) return true;
  }
  return false;
}

bool ValueSet::Contains(const Value& v) const {
  if (domain_ == Domain::kString) return ContainsString(v.string_value());
  const std::optional<int64_t> key = Key(v);
  return key && ContainsInt(*key);
}

// `x in L` is false for a null x, and so is `x not in L`: like a comparison,
// a test of a missing value is never true (README, "Nulls").
Value EvalIn(const Node& node, EvalContext& ctx) {
  const Value v = EvalKid(node, 0, ctx);
  if (v.is_null()) return Value::Bool(false);
  return Value::Bool(node.set->Contains(v) != node.negate);
}

}  // namespace cep::internal
