#include "api/proto/alert_json.h"

#include <array>
#include <nlohmann/json.hpp>

#include "api/proto/alert.pb.h"

namespace wire {
namespace {

// Ordered, so stages and fields keep pattern and emit order in both directions.
using Json = nlohmann::ordered_json;
using cep::v1::Alert;

// Enum <-> text tables; index = enum value. Entry 0 (unspecified) has no text.
constexpr std::array<std::string_view, 5> kSeverityNames = {"", "low", "medium", "high",
                                                            "critical"};
constexpr std::array<std::string_view, 4> kKindNames = {"", "match", "timeout", "window"};
constexpr std::array<std::string_view, 3> kModeNames = {"", "live", "shadow"};

template <size_t N>
std::string_view NameOf(const std::array<std::string_view, N>& names, int value) {
  return value > 0 && static_cast<size_t>(value) < N ? names[static_cast<size_t>(value)] : "";
}

template <size_t N>
cep::Result<int> ValueOf(const std::array<std::string_view, N>& names, std::string_view field,
                         const Json& json) {
  if (json.is_string()) {
    const auto& text = json.get_ref<const std::string&>();
    for (size_t i = 1; i < N; ++i) {
      if (text == names[i]) return static_cast<int>(i);
    }
  }
  std::string expected;
  for (size_t i = 1; i < N; ++i) expected += (i > 1 ? ", " : "") + std::string(names[i]);
  return cep::InvalidArgument("field '" + std::string(field) + "': expected one of " + expected);
}

Json ValueToJson(const Alert::Value& value) {
  switch (value.kind_case()) {
    case Alert::Value::kBoolValue: return value.bool_value();
    case Alert::Value::kIntValue: return value.int_value();
    case Alert::Value::kNumberValue: return value.number_value();
    case Alert::Value::kStringValue: return value.string_value();
    case Alert::Value::kNullValue:
    case Alert::Value::KIND_NOT_SET: return nullptr;
  }
  return nullptr;
}

cep::Result<Alert::Value> ValueFromJson(const std::string& name, const Json& json) {
  Alert::Value value;
  if (json.is_null()) {
    value.set_null_value(true);
  } else if (json.is_boolean()) {
    value.set_bool_value(json.get<bool>());
  } else if (json.is_number_integer()) {
    value.set_int_value(json.get<int64_t>());
  } else if (json.is_number_float()) {
    value.set_number_value(json.get<double>());
  } else if (json.is_string()) {
    value.set_string_value(json.get<std::string>());
  } else {
    return cep::InvalidArgument("field 'fields." + name + "': expected a scalar");
  }
  return value;
}

cep::Result<std::string> RequireString(const Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_string()) {
    return cep::InvalidArgument(std::string("field '") + field + "': expected a string");
  }
  return it->get<std::string>();
}

cep::Status ReadStages(const Json& stages, Alert& out) {
  if (!stages.is_object()) return cep::InvalidArgument("field 'stages': expected an object");
  for (const auto& [name, ids] : stages.items()) {
    if (!ids.is_array()) {
      return cep::InvalidArgument("field 'stages." + name + "': expected an array of ids");
    }
    Alert::Stage& stage = *out.add_stages();
    stage.set_name(name);
    for (const Json& id : ids) {
      if (!id.is_string()) {
        return cep::InvalidArgument("field 'stages." + name + "': ids must be strings");
      }
      stage.add_event_ids(id.get<std::string>());
    }
  }
  return cep::Status::Ok();
}

cep::Status ReadFields(const Json& fields, Alert& out) {
  if (!fields.is_object()) return cep::InvalidArgument("field 'fields': expected an object");
  for (const auto& [name, json] : fields.items()) {
    ASSIGN_OR_RETURN(Alert::Value value, ValueFromJson(name, json));
    Alert::Field& field = *out.add_fields();
    field.set_name(name);
    *field.mutable_value() = std::move(value);
  }
  return cep::Status::Ok();
}

cep::Status ReadEnums(const Json& object, Alert& out) {
  if (auto it = object.find("severity"); it != object.end()) {
    ASSIGN_OR_RETURN(int severity, ValueOf(kSeverityNames, "severity", *it));
    out.set_severity(static_cast<Alert::Severity>(severity));
  }
  if (auto it = object.find("kind"); it != object.end()) {
    ASSIGN_OR_RETURN(int kind, ValueOf(kKindNames, "kind", *it));
    out.set_kind(static_cast<Alert::Kind>(kind));
  }
  if (auto it = object.find("mode"); it != object.end()) {
    ASSIGN_OR_RETURN(int mode, ValueOf(kModeNames, "mode", *it));
    out.set_mode(static_cast<Alert::Mode>(mode));
  }
  return cep::Status::Ok();
}

}  // namespace

std::string AlertToJson(const Alert& alert) {
  Json out = Json::object();
  out["alert_id"] = alert.alert_id();
  out["ruleset"] = alert.ruleset();
  out["version"] = alert.version();
  out["rule"] = alert.rule();
  if (auto name = NameOf(kSeverityNames, alert.severity()); !name.empty()) out["severity"] = name;
  if (auto name = NameOf(kKindNames, alert.kind()); !name.empty()) out["kind"] = name;
  out["key"] = alert.key();
  out["ts"] = alert.ts_ms();
  if (alert.has_event()) out["event"] = alert.event();
  if (alert.stages_size() > 0) {
    Json stages = Json::object();
    for (const Alert::Stage& stage : alert.stages()) {
      Json ids = Json::array();
      for (const std::string& id : stage.event_ids()) ids.push_back(id);
      stages[stage.name()] = std::move(ids);
    }
    out["stages"] = std::move(stages);
  }
  Json fields = Json::object();
  for (const Alert::Field& field : alert.fields()) fields[field.name()] = ValueToJson(field.value());
  out["fields"] = std::move(fields);
  if (auto name = NameOf(kModeNames, alert.mode()); !name.empty()) out["mode"] = name;
  return out.dump();
}

cep::Result<Alert> AlertFromJson(std::string_view json) {
  Json object = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return cep::InvalidArgument("not valid JSON");
  if (!object.is_object()) return cep::InvalidArgument("expected a JSON object");
  Alert out;
  ASSIGN_OR_RETURN(*out.mutable_alert_id(), RequireString(object, "alert_id"));
  ASSIGN_OR_RETURN(*out.mutable_ruleset(), RequireString(object, "ruleset"));
  ASSIGN_OR_RETURN(*out.mutable_rule(), RequireString(object, "rule"));
  ASSIGN_OR_RETURN(*out.mutable_key(), RequireString(object, "key"));
  if (auto it = object.find("version"); it != object.end()) {
    if (!it->is_number_unsigned()) {
      return cep::InvalidArgument("field 'version': expected a non-negative integer");
    }
    out.set_version(it->get<uint32_t>());
  }
  auto ts = object.find("ts");
  if (ts == object.end() || !ts->is_number_integer()) {
    return cep::InvalidArgument("field 'ts': expected integer milliseconds since the epoch");
  }
  out.set_ts_ms(ts->get<int64_t>());
  if (auto it = object.find("event"); it != object.end() && !it->is_null()) {
    if (!it->is_string()) return cep::InvalidArgument("field 'event': expected a string");
    out.set_event(it->get<std::string>());
  }
  RETURN_IF_ERROR(ReadEnums(object, out));
  if (auto it = object.find("stages"); it != object.end()) RETURN_IF_ERROR(ReadStages(*it, out));
  if (auto it = object.find("fields"); it != object.end()) RETURN_IF_ERROR(ReadFields(*it, out));
  return out;
}

}  // namespace wire
