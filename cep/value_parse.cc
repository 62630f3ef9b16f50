#include "cep/value_parse.h"

#include <charconv>
#include <cmath>

#include "cep/base/decimal.h"
#include "cep/base/time.h"

namespace cep {
namespace {

template <typename T>
bool ParseNumber(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

Status Expected(std::string_view what, std::string_view text) {
  return InvalidArgument("expected " + std::string(what) + ", got '" + std::string(text) + "'");
}

}  // namespace

Result<Value> ParseValue(Type type, std::string_view text) {
  if (text.empty() && type != Type::kString) return Value::Null();
  switch (type) {
    case Type::kNull: return Value::Null();
    case Type::kString: return Value::String(text);
    case Type::kInt: {
      int64_t i = 0;
      if (!ParseNumber(text, i)) return Expected("an integer", text);
      return Value::Int(i);
    }
    case Type::kFloat: {
      double f = 0;
      if (!ParseNumber(text, f) || !std::isfinite(f)) return Expected("a number", text);
      return Value::Float(f);
    }
    case Type::kDecimal: {
      ASSIGN_OR_RETURN(int64_t micros, ParseDecimalMicros(text));
      return Value::Decimal(micros);
    }
    case Type::kBool:
      if (text == "true" || text == "1") return Value::Bool(true);
      if (text == "false" || text == "0") return Value::Bool(false);
      return Expected("true, false, 1 or 0", text);
    case Type::kTime: {
      int64_t ms = 0;
      if (ParseNumber(text, ms)) return Value::Time(EventTime::FromMillis(ms));
      ASSIGN_OR_RETURN(EventTime t, ParseIso8601(text));
      return Value::Time(t);
    }
    case Type::kDuration: {
      ASSIGN_OR_RETURN(Duration d, ParseDuration(text));
      return Value::Dur(d);
    }
  }
  return Internal("unknown type");
}

}  // namespace cep
