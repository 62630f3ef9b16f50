// Built-in functions (DSL.md, "Expressions"). A null argument makes the result
// null. String results that differ from the input are written to ctx.scratch.

#include <cmath>
#include <string>

#include "cep/expr/internal/numeric.h"
#include "cep/expr/internal/ops.h"

namespace cep::internal {
namespace {

template <Type T>
Value Abs(const Node& node, EvalContext& ctx) {
  const Value v = EvalKid(node, 0, ctx);
  if (v.is_null()) return v;
  if constexpr (T == Type::kFloat) return Value::Float(std::fabs(v.float_value()));
  if constexpr (T != Type::kFloat) {
    int64_t raw = 0;
    if constexpr (T == Type::kInt) raw = v.int_value();
    if constexpr (T == Type::kDecimal) raw = v.decimal_micros();
    if constexpr (T == Type::kDuration) raw = v.duration_value().millis();
    if (raw >= 0) return v;
    const std::optional<int64_t> out = CheckedNeg(raw);  // abs(INT64_MIN) overflows
    if (!out) return Value::Null();
    if constexpr (T == Type::kInt) return Value::Int(*out);
    if constexpr (T == Type::kDecimal) return Value::Decimal(*out);
    if constexpr (T == Type::kDuration) return Value::Dur(Duration::Millis(*out));
  }
}

// ASCII case mapping; other bytes (including UTF-8 sequences) are kept. The
// input is returned as is when nothing changes, so the common case copies nothing.
template <bool kUpper>
Value MapCase(const Node& node, EvalContext& ctx) {
  const Value v = EvalKid(node, 0, ctx);
  if (v.is_null()) return v;
  const std::string_view in = v.string_value();
  auto changes = [](char c) { return kUpper ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z'); };
  size_t i = 0;
  while (i < in.size() && !changes(in[i])) ++i;
  if (i == in.size()) return v;
  char* out = ctx.scratch.Allocate(in.size());
  for (size_t j = 0; j < in.size(); ++j) {
    const char c = in[j];
    out[j] = changes(c) ? static_cast<char>(kUpper ? c - ('a' - 'A') : c + ('a' - 'A')) : c;
  }
  return Value::String({out, in.size()});
}

Value Len(const Node& node, EvalContext& ctx) {
  const Value v = EvalKid(node, 0, ctx);
  if (v.is_null()) return v;
  return Value::Int(static_cast<int64_t>(v.string_value().size()));
}

enum class StringTest { kStartsWith, kEndsWith, kContains };
template <StringTest kTest>
Value TestStrings(const Node& node, EvalContext& ctx) {
  const Value a = EvalKid(node, 0, ctx);
  if (a.is_null()) return a;
  const Value b = EvalKid(node, 1, ctx);
  if (b.is_null()) return b;
  const std::string_view s = a.string_value();
  const std::string_view part = b.string_value();
  if constexpr (kTest == StringTest::kStartsWith) return Value::Bool(s.starts_with(part));
  if constexpr (kTest == StringTest::kEndsWith) return Value::Bool(s.ends_with(part));
  if constexpr (kTest == StringTest::kContains) {
    return Value::Bool(s.find(part) != std::string_view::npos);
  }
}

// Great-circle distance by the haversine formula on a sphere of the IUGG mean
// earth radius (6371.0088 km); arguments in degrees.
Value GeoKm(const Node& node, EvalContext& ctx) {
  double deg[4];
  for (size_t i = 0; i < 4; ++i) {
    const Value v = EvalKid(node, i, ctx);
    if (v.is_null()) return v;
    deg[i] = v.AsDouble();
  }
  constexpr double kEarthRadiusKm = 6371.0088;
  constexpr double kRadiansPerDegree = 3.14159265358979323846 / 180.0;
  const double lat1 = deg[0] * kRadiansPerDegree;
  const double lat2 = deg[2] * kRadiansPerDegree;
  const double dlat = lat2 - lat1;
  const double dlon = (deg[3] - deg[1]) * kRadiansPerDegree;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1) * std::cos(lat2) * std::sin(dlon / 2) * std::sin(dlon / 2);
  const double km = 2 * kEarthRadiusKm * std::asin(std::sqrt(std::fmin(1.0, h)));
  return std::isfinite(km) ? Value::Float(km) : Value::Null();
}

constexpr int64_t kMillisPerDay = 86'400'000;
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// UTC hour 0..23, also for times before 1970.
Value HourOfDay(const Node& node, EvalContext& ctx) {
  const Value v = EvalKid(node, 0, ctx);
  if (v.is_null()) return v;
  const int64_t ms = v.time_value().millis();
  const int64_t ms_of_day = ms - FloorDiv(ms, kMillisPerDay) * kMillisPerDay;
  return Value::Int(ms_of_day / 3'600'000);
}

// ISO 8601 weekday in UTC: 1 = Monday ... 7 = Sunday. 1970-01-01 was a Thursday (4).
Value DayOfWeek(const Node& node, EvalContext& ctx) {
  const Value v = EvalKid(node, 0, ctx);
  if (v.is_null()) return v;
  const int64_t days = FloorDiv(v.time_value().millis(), kMillisPerDay);
  const int64_t monday_based = (days % 7 + 7 + 3) % 7;  // 0 = Monday
  return Value::Int(monday_based + 1);
}

Result<OpChoice> Mismatch(Function fn, std::span<const Type> args) {
  std::string message = "function " + std::string(FunctionName(fn)) + " cannot take (";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) message += ", ";
    message += TypeName(args[i]);
  }
  return InvalidArgument(message + ")");
}

bool AllFit(std::span<const Type> args, Type want) {
  for (Type t : args) {
    if (!Fits(t, want)) return false;
  }
  return true;
}

// Unary functions over one type family; nullopt when the argument type does not fit.
std::optional<OpChoice> PickAbs(Type t) {
  switch (t) {
    case Type::kNull: return OpChoice{&EvalNull, Type::kNull};
    case Type::kInt: return OpChoice{&Abs<Type::kInt>, t};
    case Type::kDecimal: return OpChoice{&Abs<Type::kDecimal>, t};
    case Type::kFloat: return OpChoice{&Abs<Type::kFloat>, t};
    case Type::kDuration: return OpChoice{&Abs<Type::kDuration>, t};
    default: return std::nullopt;
  }
}

std::optional<OpChoice> Pick(Function fn, std::span<const Type> args) {
  using enum Type;
  auto arity = [&](size_t n) { return args.size() == n; };
  switch (fn) {
    case Function::kAbs: return arity(1) ? PickAbs(args[0]) : std::nullopt;
    case Function::kLower:
      if (arity(1) && AllFit(args, kString)) return OpChoice{&MapCase<false>, kString};
      break;
    case Function::kUpper:
      if (arity(1) && AllFit(args, kString)) return OpChoice{&MapCase<true>, kString};
      break;
    case Function::kLen:
      if (arity(1) && AllFit(args, kString)) return OpChoice{&Len, kInt};
      break;
    case Function::kStartsWith:
      if (arity(2) && AllFit(args, kString)) return OpChoice{&TestStrings<StringTest::kStartsWith>, kBool};
      break;
    case Function::kEndsWith:
      if (arity(2) && AllFit(args, kString)) return OpChoice{&TestStrings<StringTest::kEndsWith>, kBool};
      break;
    case Function::kContains:
      if (arity(2) && AllFit(args, kString)) return OpChoice{&TestStrings<StringTest::kContains>, kBool};
      break;
    case Function::kGeoKm:
      if (!arity(4)) break;
      for (Type t : args) {
        if (!IsNumeric(t) && t != kNull) return std::nullopt;
      }
      return OpChoice{&GeoKm, kFloat};
    case Function::kHourOfDay:
      if (arity(1) && AllFit(args, kTime)) return OpChoice{&HourOfDay, kInt};
      break;
    case Function::kDayOfWeek:
      if (arity(1) && AllFit(args, kTime)) return OpChoice{&DayOfWeek, kInt};
      break;
  }
  return std::nullopt;
}

}  // namespace

Result<OpChoice> ChooseFunction(Function fn, std::span<const Type> args) {
  if (auto choice = Pick(fn, args)) return *choice;
  return Mismatch(fn, args);
}

}  // namespace cep::internal
