#include "engine/decode/json_event_decoder.h"

#include <nlohmann/json.hpp>
#include <string>

#include "cep/base/decimal.h"
#include "cep/value_parse.h"

namespace engine {
namespace {

using Json = nlohmann::json;

cep::Status TypeError(std::string_view field, cep::Type type, const Json& got) {
  return cep::InvalidArgument("field '" + std::string(field) + "': expected " +
                              std::string(cep::TypeName(type)) + ", got " + got.type_name());
}

// Converts one JSON value to a slot's type. `scratch` holds text made here (an
// integer written into a string slot); the builder copies it right away.
cep::Result<cep::Value> ToValue(std::string_view field, cep::Type type, const Json& json,
                                std::string& scratch) {
  if (json.is_null()) return cep::Value::Null();
  if (json.is_string()) {
    // Text is accepted for every type and read as ParseValue reads CSV cells.
    auto value = cep::ParseValue(type, json.get_ref<const std::string&>());
    if (!value) return value.error().WithContext("field '" + std::string(field) + "'");
    return value;
  }
  switch (type) {
    case cep::Type::kString:
      if (!json.is_number_integer()) break;
      scratch = json.dump();
      return cep::Value::String(scratch);
    case cep::Type::kInt:
      if (!json.is_number_integer()) break;
      return cep::Value::Int(json.get<int64_t>());
    case cep::Type::kFloat:
      if (!json.is_number()) break;
      return cep::Value::Float(json.get<double>());
    case cep::Type::kDecimal: {
      if (!json.is_number()) break;
      auto micros = json.is_number_integer() ? cep::ParseDecimalMicros(json.dump())
                                             : cep::DecimalMicrosFromDouble(json.get<double>());
      if (!micros) return micros.error().WithContext("field '" + std::string(field) + "'");
      return cep::Value::Decimal(*micros);
    }
    case cep::Type::kBool:
      if (json.is_boolean()) return cep::Value::Bool(json.get<bool>());
      if (json.is_number_integer() && (json == 0 || json == 1)) return cep::Value::Bool(json == 1);
      break;
    case cep::Type::kTime:
      if (!json.is_number_integer()) break;
      return cep::Value::Time(cep::EventTime::FromMillis(json.get<int64_t>()));
    case cep::Type::kDuration:
      if (!json.is_number_integer()) break;
      return cep::Value::Dur(cep::Duration::Millis(json.get<int64_t>()));
    case cep::Type::kNull: return cep::Value::Null();
  }
  return TypeError(field, type, json);
}

cep::Result<cep::EventTime> ReadWatermark(const Json& json) {
  if (json.is_number_integer()) return cep::EventTime::FromMillis(json.get<int64_t>());
  if (json.is_string()) return cep::ParseIso8601(json.get_ref<const std::string&>());
  return cep::InvalidArgument("'_watermark': expected integer milliseconds or ISO-8601");
}

}  // namespace

JsonEventDecoder::JsonEventDecoder(std::shared_ptr<const cep::Schema> schema,
                                   AssemblerOptions options)
    : assembler_(std::move(schema), std::move(options)) {}

cep::Result<JsonRecord> JsonEventDecoder::Decode(std::string_view json, uint64_t seq) {
  Json object = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return cep::InvalidArgument("not valid JSON");
  if (!object.is_object()) return cep::InvalidArgument("expected a JSON object");
  if (auto it = object.find("_watermark"); it != object.end()) {
    ASSIGN_OR_RETURN(cep::EventTime watermark, ReadWatermark(*it));
    return JsonRecord{std::nullopt, watermark};
  }

  const cep::Schema& schema = assembler_.schema();
  std::string scratch;
  cep::Status status;
  // Returns false when the field had no slot (no rule reads it).
  auto set = [&](std::string_view name, const Json& value) {
    const auto slot = schema.Find(name);
    if (!slot || !status.ok()) return slot.has_value();
    auto v = ToValue(name, schema.field(*slot).type, value, scratch);
    if (v) {
      assembler_.Set(*slot, *v);
    } else {
      status = v.error();
    }
    return true;
  };
  for (const auto& [name, value] : object.items()) {
    if (name == "attrs" && value.is_object() && !schema.Find("attrs")) {
      for (const auto& [attr, attr_value] : value.items()) set("attrs." + attr, attr_value);
    } else if (!set(name, value) && !value.is_structured()) {
      set("attrs." + name, value);  // unknown scalars count as attributes (as on the wire)
    }
  }
  auto event = assembler_.Finish(seq);  // always, so the assembler is reset
  RETURN_IF_ERROR(status);
  if (!event) return std::move(event).error();
  return JsonRecord{std::move(event).value(), std::nullopt};
}

}  // namespace engine
