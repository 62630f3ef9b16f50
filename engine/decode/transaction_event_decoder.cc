#include "engine/decode/transaction_event_decoder.h"

#include <string>

namespace engine {

TransactionEventDecoder::TransactionEventDecoder(std::shared_ptr<const cep::Schema> schema,
                                                 AssemblerOptions options)
    : assembler_(std::move(schema), std::move(options)) {}

cep::Result<cep::Event> TransactionEventDecoder::Decode(const cep::v1::Transaction& t,
                                                        uint64_t seq) {
  // The wire fields by schema name. Resolving names per event costs a scan of a
  // short vector; TODO(cep): precompute slots when Kafka ingest lands (#4).
  auto text = [&](std::string_view name, bool has, const std::string& value) {
    if (!has) return;
    if (auto slot = Slot(name)) assembler_.Set(*slot, cep::Value::String(value));
  };
  auto set = [&](std::string_view name, bool has, cep::Value value) {
    if (!has) return;
    if (auto slot = Slot(name)) assembler_.Set(*slot, value);
  };
  text("id", t.has_id(), t.id());
  text("account_id", t.has_account_id(), t.account_id());
  text("card_id", t.has_card_id(), t.card_id());
  text("device_id", t.has_device_id(), t.device_id());
  text("ip", t.has_ip(), t.ip());
  text("terminal_id", t.has_terminal_id(), t.terminal_id());
  text("merchant", t.has_merchant(), t.merchant());
  set("mcc", t.has_mcc(), cep::Value::Int(t.mcc()));
  set("amount", t.has_amount_micros(), cep::Value::Decimal(t.amount_micros()));
  text("currency", t.has_currency(), t.currency());
  text("channel", t.has_channel(), t.channel());
  text("kind", t.has_kind(), t.kind());
  text("country", t.has_country(), t.country());
  text("home_country", t.has_home_country(), t.home_country());
  set("lat", t.has_lat(), cep::Value::Float(t.lat()));
  set("lon", t.has_lon(), cep::Value::Float(t.lon()));
  set("ts", t.has_ts_ms(), cep::Value::Time(cep::EventTime::FromMillis(t.ts_ms())));
  set("label", t.has_label(), cep::Value::Int(t.label()));
  for (const auto& [name, value] : t.attrs()) text("attrs." + name, true, value);
  return assembler_.Finish(seq);
}

cep::Result<cep::Event> TransactionEventDecoder::DecodeBytes(std::string_view bytes, uint64_t seq) {
  if (!scratch_.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return cep::InvalidArgument("not a cep.v1.Transaction");
  }
  return Decode(scratch_, seq);
}

}  // namespace engine
