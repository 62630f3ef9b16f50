#include "engine/replay/label_feedback.h"

#include <algorithm>
#include <string>

namespace engine {
namespace {

// std::push_heap keeps the largest on top: this order puts the earliest there.
bool Later(const std::shared_ptr<const cep::Event>& a, const std::shared_ptr<const cep::Event>& b) {
  return a->ts() != b->ts() ? a->ts() > b->ts() : a->seq() > b->seq();
}

}  // namespace

cep::Result<LabelFeedback> LabelFeedback::Create(std::shared_ptr<const cep::Schema> schema,
                                                 cep::Duration delay) {
  const std::optional<cep::SlotIndex> kind = schema->Find("kind");
  if (!kind || schema->field(*kind).type != cep::Type::kString) {
    return cep::Unexpected(cep::InvalidArgument(
        "--feedback-delay: the schema has no string field 'kind' to mark fraud reports with"));
  }
  if (delay < cep::Duration::Zero()) {
    return cep::Unexpected(cep::InvalidArgument("--feedback-delay must not be negative"));
  }
  const std::optional<cep::SlotIndex> ts = schema->ts_slot();
  return LabelFeedback(std::move(schema), delay, *kind, ts);
}

LabelFeedback::LabelFeedback(std::shared_ptr<const cep::Schema> schema, cep::Duration delay,
                             cep::SlotIndex kind, std::optional<cep::SlotIndex> ts)
    : schema_(std::move(schema)), delay_(delay), kind_slot_(kind), ts_slot_(ts) {}

void LabelFeedback::Observe(const cep::Event& fraud) {
  const cep::EventTime at = fraud.ts() + delay_;
  cep::EventBuilder builder(fraud.field_count());
  for (size_t slot = 0; slot < fraud.field_count(); ++slot) {
    const cep::Value& value = fraud.field(static_cast<cep::SlotIndex>(slot));
    if (!value.is_null()) builder.Set(static_cast<cep::SlotIndex>(slot), value);
  }
  builder.Set(kind_slot_, cep::Value::String("fraud_report"));
  if (ts_slot_) builder.Set(*ts_slot_, cep::Value::Time(at));
  builder.SetTs(at).SetSeq(kSeqBase + made_++).SetId(std::string(fraud.id()) + "#fraud_report");
  heap_.push_back(std::make_shared<const cep::Event>(builder.Build()));
  std::push_heap(heap_.begin(), heap_.end(), Later);
}

void LabelFeedback::Release(cep::EventTime up_to,
                            std::vector<std::shared_ptr<const cep::Event>>& out) {
  while (!heap_.empty() && heap_.front()->ts() <= up_to) {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    out.push_back(std::move(heap_.back()));
    heap_.pop_back();
  }
}

}  // namespace engine
