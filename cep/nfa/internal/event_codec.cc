#include "cep/nfa/internal/event_codec.h"

#include <utility>

#include <string>

#include "cep/schema.h"

namespace cep::internal {

void PutValue(ByteWriter& w, const Value& v) {
  w.Put(static_cast<uint8_t>(v.type()));
  switch (v.type()) {
    case Type::kNull: break;
    case Type::kBool: w.Put(static_cast<uint8_t>(v.bool_value() ? 1 : 0)); break;
    case Type::kInt: w.Put(v.int_value()); break;
    case Type::kFloat: w.Put(v.float_value()); break;
    case Type::kDecimal: w.Put(v.decimal_micros()); break;
    case Type::kString: w.PutString(v.string_value()); break;
    case Type::kTime: w.Put(v.time_value().millis()); break;
    case Type::kDuration: w.Put(v.duration_value().millis()); break;
  }
}

Result<Value> GetValue(ByteReader& r) {
  const uint8_t type = r.Get<uint8_t>();
  switch (static_cast<Type>(type)) {
    case Type::kNull: return Value::Null();
    case Type::kBool: return Value::Bool(r.Get<uint8_t>() != 0);
    case Type::kInt: return Value::Int(r.Get<int64_t>());
    case Type::kFloat: return Value::Float(r.Get<double>());
    case Type::kDecimal: return Value::Decimal(r.Get<int64_t>());
    case Type::kString: return Value::String(r.GetString());
    case Type::kTime: return Value::Time(EventTime::FromMillis(r.Get<int64_t>()));
    case Type::kDuration: return Value::Dur(Duration::Millis(r.Get<int64_t>()));
  }
  return DataLoss("snapshot: unknown value type " + std::to_string(type));
}

void PutEvent(ByteWriter& w, const Event& e) {
  w.Put(e.ts().millis());
  w.Put(e.seq());
  w.Put(e.partition());
  w.PutString(e.id());
  w.Put(static_cast<uint32_t>(e.field_count()));
  for (size_t i = 0; i < e.field_count(); ++i) PutValue(w, e.field(static_cast<SlotIndex>(i)));
}

Result<std::shared_ptr<const Event>> GetEvent(ByteReader& r) {
  const int64_t ts = r.Get<int64_t>();
  const uint64_t seq = r.Get<uint64_t>();
  const int32_t partition = r.Get<int32_t>();
  const std::string_view id = r.GetString();
  const uint32_t fields = r.Get<uint32_t>();
  if (r.failed() || fields > kMaxFields) return DataLoss("snapshot: bad event header");
  EventBuilder builder(fields);
  builder.SetTs(EventTime::FromMillis(ts)).SetSeq(seq).SetId(id);
  for (uint32_t i = 0; i < fields; ++i) {
    ASSIGN_OR_RETURN(Value v, GetValue(r));
    if (r.failed()) return DataLoss("snapshot: truncated event");
    builder.Set(static_cast<SlotIndex>(i), v);
  }
  Event event = builder.Build();
  event.set_partition(partition);
  return std::make_shared<const Event>(std::move(event));
}

}  // namespace cep::internal
