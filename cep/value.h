#pragma once

#include <cstdint>
#include <string_view>

#include "cep/base/check.h"
#include "cep/base/time.h"

namespace cep {

// The types of the rules language (DSL.md, "Events"). kNull is the type of an
// absent field and of arithmetic with null.
enum class Type : uint8_t {
  kNull = 0,
  kBool,
  kInt,
  kFloat,
  kDecimal,  // fixed point, micro-units (cep/base/decimal.h)
  kString,
  kTime,      // event time
  kDuration,
};
std::string_view TypeName(Type type);

// One scalar of the rules language in 16 bytes: a tag and a payload. Strings are
// borrowed views: the Event (or Program constant pool, or evaluation scratch)
// that owns the bytes must outlive the Value. Copying is free.
class Value {
 public:
  constexpr Value() = default;  // null
  static constexpr Value Null() { return {}; }
  static constexpr Value Bool(bool b) {
    Value v(Type::kBool);
    v.u_.i = b ? 1 : 0;
    return v;
  }
  static constexpr Value Int(int64_t i) { return Value(Type::kInt, i); }
  static constexpr Value Decimal(int64_t micros) { return Value(Type::kDecimal, micros); }
  static constexpr Value Time(EventTime t) { return Value(Type::kTime, t.millis()); }
  static constexpr Value Dur(Duration d) { return Value(Type::kDuration, d.millis()); }
  static constexpr Value Float(double f) {
    Value v(Type::kFloat);
    v.u_.f = f;
    return v;
  }
  static Value String(std::string_view s) {
    CHECK(s.size() <= UINT32_MAX, "string values are at most 4 GiB");
    Value v(Type::kString);
    v.u_.s = s.data();
    v.size_ = static_cast<uint32_t>(s.size());
    return v;
  }

  constexpr Type type() const { return type_; }
  constexpr bool is_null() const { return type_ == Type::kNull; }

  bool bool_value() const { return Expect(Type::kBool).u_.i != 0; }
  int64_t int_value() const { return Expect(Type::kInt).u_.i; }
  double float_value() const { return Expect(Type::kFloat).u_.f; }
  int64_t decimal_micros() const { return Expect(Type::kDecimal).u_.i; }
  std::string_view string_value() const {
    const Value& v = Expect(Type::kString);
    return {v.u_.s, v.size_};
  }
  EventTime time_value() const { return EventTime::FromMillis(Expect(Type::kTime).u_.i); }
  Duration duration_value() const { return Duration::Millis(Expect(Type::kDuration).u_.i); }

  // Int, float and decimal as a double (for avg, geo and mixed arithmetic);
  // time and duration as milliseconds. CHECK-fails on other types.
  double AsDouble() const;

  // Same type and same payload (strings bytewise). Null equals null here: this is
  // identity for state and tests, not the language's `==` (where null is never
  // equal to anything).
  bool SameAs(const Value& other) const;

 private:
  constexpr explicit Value(Type type, int64_t i = 0) : type_(type) { u_.i = i; }
  const Value& Expect(Type type) const {
    DCHECK(type_ == type, "Value read as the wrong type");
    return *this;
  }

  union {
    int64_t i;
    double f;
    const char* s;
  } u_{.i = 0};
  uint32_t size_ = 0;  // string length
  Type type_ = Type::kNull;
};
static_assert(sizeof(Value) == 16, "Value is a tag and a payload");

}  // namespace cep
