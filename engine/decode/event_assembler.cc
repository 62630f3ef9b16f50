#include "engine/decode/event_assembler.h"

#include <string>

namespace engine {

EventAssembler::EventAssembler(std::shared_ptr<const cep::Schema> schema,
                               AssemblerOptions options)
    : schema_(std::move(schema)),
      options_(std::move(options)),
      ts_slot_(schema_->ts_slot()),
      id_slot_(schema_->Find(options_.id_field)),
      builder_(schema_->size()) {
  for (const rules::FieldRegexes& field : options_.regexes) scratch_.push_back(field.set->NewScratch());
}

EventAssembler::~EventAssembler() = default;
EventAssembler::EventAssembler(EventAssembler&&) noexcept = default;
EventAssembler& EventAssembler::operator=(EventAssembler&&) noexcept = default;

void EventAssembler::ScanRegexes() {
  for (size_t i = 0; i < options_.regexes.size(); ++i) {
    const rules::FieldRegexes& field = options_.regexes[i];
    const auto text = builder_.PeekString(field.field);
    if (!text) continue;  // a null field matches no regex
    uint64_t bits = 0;
    const cep::Status status =
        field.set->Scan(*text, *scratch_[i], [&](uint32_t regex) { bits |= uint64_t{1} << regex; });
    CHECK(status.ok(), "Hyperscan scan of a compiled database");
    builder_.Set(field.bits_slot, cep::Value::Int(static_cast<int64_t>(bits)));
  }
}

void EventAssembler::Set(cep::SlotIndex slot, const cep::Value& value) {
  builder_.Set(slot, value);
  if (slot == ts_slot_ && value.type() == cep::Type::kTime) {
    builder_.SetTs(value.time_value());
    has_ts_ = true;
  } else if (slot == id_slot_ && value.type() == cep::Type::kString) {
    builder_.SetId(value.string_value());
    has_id_ = true;
  }
}

cep::Result<cep::Event> EventAssembler::Finish(uint64_t seq) {
  if (!has_id_) builder_.SetId(std::to_string(seq));
  ScanRegexes();
  builder_.SetSeq(seq);
  const bool complete = has_ts_;
  has_ts_ = has_id_ = false;
  cep::Event event = builder_.Build();  // also resets the builder
  if (!complete) return cep::InvalidArgument("missing 'ts': every event needs an event time");
  return event;
}

}  // namespace engine
