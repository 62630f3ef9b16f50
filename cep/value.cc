#include "cep/value.h"

#include <cstring>

namespace cep {

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "bool";
    case Type::kInt: return "int";
    case Type::kFloat: return "float";
    case Type::kDecimal: return "decimal";
    case Type::kString: return "string";
    case Type::kTime: return "time";
    case Type::kDuration: return "duration";
  }
  return "unknown";
}

double Value::AsDouble() const {
  switch (type_) {
    case Type::kInt:
    case Type::kTime:
    case Type::kDuration: return static_cast<double>(u_.i);
    case Type::kFloat: return u_.f;
    case Type::kDecimal: return static_cast<double>(u_.i) / 1e6;
    default: CHECK(false, "AsDouble of a non-numeric Value");
  }
  return 0;
}

bool Value::SameAs(const Value& other) const {
  if (type_ != other.type_) return false;
  switch (type_) {
    case Type::kNull: return true;
    case Type::kFloat: return u_.f == other.u_.f;
    case Type::kString: return string_value() == other.string_value();
    default: return u_.i == other.u_.i;
  }
}

}  // namespace cep
