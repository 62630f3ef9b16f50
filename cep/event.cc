#include "cep/event.h"

#include <cstring>

namespace cep {

EventBuilder::EventBuilder(size_t field_count) : fields_(field_count) {}

EventBuilder& EventBuilder::SetId(std::string_view id) {
  id_.assign(id);
  return *this;
}

EventBuilder& EventBuilder::Set(SlotIndex slot, const Value& value) {
  CHECK(slot < fields_.size(), "slot out of range");
  if (value.type() != Type::kString) {
    fields_[slot] = value;
    return *this;
  }
  // Remember where the bytes go; Build() points the Value at the event's storage.
  const std::string_view text = value.string_value();
  strings_.push_back({slot, static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(text.size())});
  bytes_.append(text);
  fields_[slot] = Value::String({});  // placeholder, typed as string
  return *this;
}

std::optional<std::string_view> EventBuilder::PeekString(SlotIndex slot) const {
  if (slot >= fields_.size() || fields_[slot].type() != Type::kString) return std::nullopt;
  // The latest Set of the slot wins; search from the back.
  for (auto it = strings_.rbegin(); it != strings_.rend(); ++it) {
    if (it->slot == slot) return std::string_view(bytes_).substr(it->offset, it->size);
  }
  return std::nullopt;
}

Event EventBuilder::Build() {
  Event event;
  event.ts_ = ts_;
  event.seq_ = seq_;
  const size_t total = id_.size() + bytes_.size();
  CHECK(total <= UINT32_MAX, "an event holds at most 4 GiB of text");
  event.storage_size_ = static_cast<uint32_t>(total);
  event.id_size_ = static_cast<uint32_t>(id_.size());
  if (total > 0) {
    event.storage_ = std::make_unique_for_overwrite<char[]>(total);
    std::memcpy(event.storage_.get(), id_.data(), id_.size());
    std::memcpy(event.storage_.get() + id_.size(), bytes_.data(), bytes_.size());
  }
  event.fields_ = fields_;
  const char* base = event.storage_.get() + id_.size();
  for (const PendingString& s : strings_) {
    event.fields_[s.slot] = Value::String({base + s.offset, s.size});
  }
  // Reset for the next event; keep the capacity.
  std::fill(fields_.begin(), fields_.end(), Value());
  id_.clear();
  bytes_.clear();
  strings_.clear();
  ts_ = EventTime();
  seq_ = 0;
  return event;
}

}  // namespace cep
