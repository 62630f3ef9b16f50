#include "engine/decode/csv_mapping.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace engine {

cep::Result<CsvMapping> CsvMapping::FromJson(std::string_view json) {
  const auto object = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) {
    return cep::InvalidArgument("a CSV mapping is a JSON object with \"columns\" and \"constants\"");
  }
  CsvMapping mapping;
  for (const auto& [key, value] : object.items()) {
    if (key != "columns" && key != "constants") {
      return cep::InvalidArgument("unknown key '" + key + "' (expected columns, constants)");
    }
    if (!value.is_object()) return cep::InvalidArgument("'" + key + "' must be an object");
  }
  if (auto it = object.find("columns"); it != object.end()) {
    for (const auto& [column, field] : it->items()) {
      if (field.is_null()) {
        mapping.columns[column] = std::nullopt;
      } else if (field.is_string()) {
        mapping.columns[column] = field.get<std::string>();
      } else {
        return cep::InvalidArgument("columns." + column + ": expected a field name or null");
      }
    }
  }
  if (auto it = object.find("constants"); it != object.end()) {
    for (const auto& [field, text] : it->items()) {
      if (!text.is_string() && !text.is_number()) {
        return cep::InvalidArgument("constants." + field + ": expected a string or a number");
      }
      mapping.constants[field] = text.is_string() ? text.get<std::string>() : text.dump();
    }
  }
  return mapping;
}

cep::Result<CsvMapping> CsvMapping::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return cep::NotFound("cannot open CSV mapping '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  auto mapping = FromJson(text.str());
  if (!mapping) return mapping.error().WithContext(path);
  return mapping;
}

}  // namespace engine
