#include "cep/schema.h"

namespace cep {

Schema Schema::Transaction() {
  Schema schema;
  const FieldDef fields[] = {
      {"id", Type::kString},           {"account_id", Type::kString},
      {"card_id", Type::kString},      {"device_id", Type::kString},
      {"ip", Type::kString},           {"terminal_id", Type::kString},
      {"merchant", Type::kString},     {"mcc", Type::kInt},
      {"amount", Type::kDecimal},      {"currency", Type::kString},
      {"channel", Type::kString},      {"kind", Type::kString},
      {"country", Type::kString},      {"home_country", Type::kString},
      {"lat", Type::kFloat},           {"lon", Type::kFloat},
      {"ts", Type::kTime},             {"label", Type::kInt},
  };
  for (const FieldDef& field : fields) {
    CHECK(schema.Add(field.name, field.type).ok(), "built-in schema has unique names");
  }
  return schema;
}

Result<SlotIndex> Schema::Add(std::string name, Type type) {
  if (Find(name)) return InvalidArgument("field '" + name + "' is declared twice");
  if (fields_.size() >= kMaxFields) {
    return ResourceExhausted("a schema has at most " + std::to_string(kMaxFields) + " fields");
  }
  fields_.push_back({std::move(name), type});
  return static_cast<SlotIndex>(fields_.size() - 1);
}

std::optional<SlotIndex> Schema::Find(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<SlotIndex>(i);
  }
  return std::nullopt;
}

}  // namespace cep
