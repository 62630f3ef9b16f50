#include "api/proto/transaction_json.h"

#include <nlohmann/json.hpp>

#include "api/proto/json_number.h"
#include "api/proto/transaction.pb.h"
#include "cep/base/decimal.h"
#include "cep/base/time.h"

namespace wire {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;
using cep::v1::Transaction;

cep::Status FieldError(std::string_view field, std::string_view expected, const Json& got) {
  return cep::InvalidArgument("field '" + std::string(field) + "': expected " +
                              std::string(expected) + ", got " + std::string(got.type_name()));
}

// A string field: strings as they are, integers as their decimal text.
cep::Result<std::string> ReadText(std::string_view field, const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  return FieldError(field, "a string", value);
}

cep::Result<int64_t> ReadAmountMicros(const Json& value) {
  cep::Result<int64_t> micros = cep::InvalidArgument("");
  if (value.is_number_integer()) {
    micros = cep::ParseDecimalMicros(value.dump());
  } else if (value.is_number_float()) {
    micros = cep::DecimalMicrosFromDouble(value.get<double>());
  } else if (value.is_string()) {
    micros = cep::ParseDecimalMicros(value.get_ref<const std::string&>());
  } else {
    return FieldError("amount", "a number or a decimal string", value);
  }
  if (!micros) return micros.error().WithContext("field 'amount'");
  return micros;
}

cep::Result<int64_t> ReadTimestampMillis(const Json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) {
    auto ts = cep::ParseIso8601(value.get_ref<const std::string&>());
    if (!ts) return ts.error().WithContext("field 'ts'");
    return ts->millis();
  }
  return FieldError("ts", "integer milliseconds since the epoch or an ISO-8601 string", value);
}

cep::Result<double> ReadNumber(std::string_view field, const Json& value) {
  if (value.is_number()) return value.get<double>();
  return FieldError(field, "a number", value);
}

cep::Result<int32_t> ReadMcc(const Json& value) {
  int64_t mcc = 0;
  if (value.is_number_integer()) {
    mcc = value.get<int64_t>();
  } else if (value.is_string()) {
    // Merchant category codes are often sent as zero-padded text ("0742").
    const auto& text = value.get_ref<const std::string&>();
    if (text.empty() || text.size() > 9 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
      return FieldError("mcc", "an integer", value);
    }
    mcc = std::stoll(text);
  } else {
    return FieldError("mcc", "an integer", value);
  }
  if (mcc < 0 || mcc > 99'999) return cep::InvalidArgument("field 'mcc': out of range");
  return static_cast<int32_t>(mcc);
}

cep::Result<int32_t> ReadLabel(const Json& value) {
  if (value.is_boolean()) return value.get<bool>() ? 1 : 0;
  if (value.is_number_integer()) {
    const auto label = value.get<int64_t>();
    if (label == 0 || label == 1) return static_cast<int32_t>(label);
  }
  return FieldError("label", "0, 1, false or true", value);
}

cep::Status ReadAttrs(const Json& value, Transaction& out) {
  if (!value.is_object()) return FieldError("attrs", "an object of strings", value);
  auto& attrs = *out.mutable_attrs();
  for (const auto& [name, item] : value.items()) {
    if (item.is_null()) continue;
    if (item.is_structured()) return FieldError("attrs." + name, "a scalar", item);
    attrs[name] = item.is_string() ? item.get<std::string>() : item.dump();
  }
  return cep::Status::Ok();
}

using TextSetter = void (Transaction::*)(const std::string&);
struct TextField {
  std::string_view name;
  TextSetter set;
};
const TextField kTextFields[] = {
    {"id", &Transaction::set_id},
    {"account_id", &Transaction::set_account_id},
    {"card_id", &Transaction::set_card_id},
    {"device_id", &Transaction::set_device_id},
    {"ip", &Transaction::set_ip},
    {"terminal_id", &Transaction::set_terminal_id},
    {"merchant", &Transaction::set_merchant},
    {"currency", &Transaction::set_currency},
    {"channel", &Transaction::set_channel},
    {"kind", &Transaction::set_kind},
    {"country", &Transaction::set_country},
    {"home_country", &Transaction::set_home_country},
};

cep::Status ReadField(const std::string& name, const Json& value, Transaction& out) {
  if (value.is_null()) return cep::Status::Ok();  // null = absent
  for (const TextField& field : kTextFields) {
    if (name == field.name) {
      ASSIGN_OR_RETURN(std::string text, ReadText(field.name, value));
      (out.*field.set)(text);
      return cep::Status::Ok();
    }
  }
  if (name == "amount") {
    ASSIGN_OR_RETURN(int64_t micros, ReadAmountMicros(value));
    out.set_amount_micros(micros);
  } else if (name == "ts") {
    ASSIGN_OR_RETURN(int64_t millis, ReadTimestampMillis(value));
    out.set_ts_ms(millis);
  } else if (name == "mcc") {
    ASSIGN_OR_RETURN(int32_t mcc, ReadMcc(value));
    out.set_mcc(mcc);
  } else if (name == "lat") {
    ASSIGN_OR_RETURN(double lat, ReadNumber(name, value));
    out.set_lat(lat);
  } else if (name == "lon") {
    ASSIGN_OR_RETURN(double lon, ReadNumber(name, value));
    out.set_lon(lon);
  } else if (name == "label") {
    ASSIGN_OR_RETURN(int32_t label, ReadLabel(value));
    out.set_label(label);
  } else if (name == "attrs") {
    RETURN_IF_ERROR(ReadAttrs(value, out));
  } else if (value.is_structured()) {
    return FieldError(name, "a scalar (unknown fields are kept in attrs)", value);
  } else {
    (*out.mutable_attrs())[name] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return cep::Status::Ok();
}

}  // namespace

cep::Result<Transaction> TransactionFromJson(std::string_view json) {
  Json object = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return cep::InvalidArgument("not valid JSON");
  if (!object.is_object()) return cep::InvalidArgument("expected a JSON object");
  Transaction out;
  for (const auto& [name, value] : object.items()) {
    RETURN_IF_ERROR(ReadField(name, value, out));
  }
  return out;
}

std::string TransactionToJson(const Transaction& t) {
  OrderedJson out = OrderedJson::object();
  auto text = [&](std::string_view name, bool has, const std::string& value) {
    if (has) out[std::string(name)] = value;
  };
  text("id", t.has_id(), t.id());
  text("account_id", t.has_account_id(), t.account_id());
  text("card_id", t.has_card_id(), t.card_id());
  text("device_id", t.has_device_id(), t.device_id());
  text("ip", t.has_ip(), t.ip());
  text("terminal_id", t.has_terminal_id(), t.terminal_id());
  text("merchant", t.has_merchant(), t.merchant());
  if (t.has_mcc()) out["mcc"] = t.mcc();
  if (t.has_amount_micros()) {
    const int64_t micros = t.amount_micros();
    if (internal::FitsJsonNumber(micros)) {
      out["amount"] = cep::DecimalMicrosToDouble(micros);
    } else {
      out["amount"] = cep::FormatDecimalMicros(micros);
    }
  }
  text("currency", t.has_currency(), t.currency());
  text("channel", t.has_channel(), t.channel());
  text("kind", t.has_kind(), t.kind());
  text("country", t.has_country(), t.country());
  text("home_country", t.has_home_country(), t.home_country());
  if (t.has_lat()) out["lat"] = t.lat();
  if (t.has_lon()) out["lon"] = t.lon();
  if (t.has_ts_ms()) out["ts"] = t.ts_ms();
  if (t.has_label()) out["label"] = t.label();
  if (!t.attrs().empty()) {
    // Protobuf maps have no defined order; sort so output is deterministic.
    std::map<std::string, std::string> sorted(t.attrs().begin(), t.attrs().end());
    out["attrs"] = sorted;
  }
  return out.dump();
}

}  // namespace wire
