#include "cep/window/window_spec.h"

#include <string>
#include <utility>

namespace cep {

std::string_view WindowKindName(WindowKind kind) {
  switch (kind) {
    case WindowKind::kLast:
      return "last";
    case WindowKind::kTumbling:
      return "tumbling";
    case WindowKind::kSliding:
      return "sliding";
    case WindowKind::kSession:
      return "session";
  }
  return "unknown";
}

std::string_view AggregateFunctionName(AggregateFunction function) {
  switch (function) {
    case AggregateFunction::kCount:
      return "count";
    case AggregateFunction::kSum:
      return "sum";
    case AggregateFunction::kAvg:
      return "avg";
    case AggregateFunction::kMin:
      return "min";
    case AggregateFunction::kMax:
      return "max";
    case AggregateFunction::kCountDistinct:
      return "count_distinct";
  }
  return "unknown";
}

namespace {

bool IsSummable(Type type) {
  return type == Type::kInt || type == Type::kDecimal || type == Type::kFloat ||
         type == Type::kDuration;
}

// min/max keep their values in fixed-size payloads, so strings are not offered
// (see README, "Not supported").
bool IsOrderable(Type type) {
  return IsSummable(type) || type == Type::kTime || type == Type::kBool;
}

Status CheckAggregate(const AggregateSpec& aggregate) {
  bool ok = true;
  switch (aggregate.function) {
    case AggregateFunction::kCount:
      ok = true;
      break;
    case AggregateFunction::kSum:
    case AggregateFunction::kAvg:
      ok = IsSummable(aggregate.value_type);
      break;
    case AggregateFunction::kMin:
    case AggregateFunction::kMax:
      ok = IsOrderable(aggregate.value_type);
      break;
    case AggregateFunction::kCountDistinct:
      ok = aggregate.value_type != Type::kNull;
      break;
  }
  if (ok) return Status::Ok();
  return InvalidArgument(std::string(AggregateFunctionName(aggregate.function)) +
                         " does not accept values of type " +
                         std::string(TypeName(aggregate.value_type)));
}

}  // namespace

Result<WindowSpec> WindowSpec::Make(WindowKind kind, Duration size, Duration slide,
                                    std::vector<AggregateSpec> aggregates) {
  if (size <= Duration::Zero() || size > kMaxDuration) {
    return InvalidArgument("a window's duration must be positive and at most 2^50 ms");
  }
  if (slide <= Duration::Zero() || slide > kMaxDuration) {
    return InvalidArgument("a sliding window's step must be positive and at most 2^50 ms");
  }
  if (kind == WindowKind::kSliding &&
      (size.millis() + slide.millis() - 1) / slide.millis() > kMaxSlidingOverlap) {
    return InvalidArgument("sliding window: D / S is above " + std::to_string(kMaxSlidingOverlap) +
                           " windows per event");
  }
  if (aggregates.size() > kMaxAggregates) {
    return InvalidArgument("a window rule has at most 64 aggregates");
  }
  for (AggregateSpec& aggregate : aggregates) {
    if (aggregate.function == AggregateFunction::kCount) aggregate.value_type = Type::kNull;
    RETURN_IF_ERROR(CheckAggregate(aggregate));
  }
  WindowSpec spec;
  spec.kind_ = kind;
  spec.size_ = size;
  spec.slide_ = slide;
  spec.aggregates_ = std::move(aggregates);
  spec.BuildLayout();
  return spec;
}

// Only what cannot be recomputed from running totals gets a row word: unfiltered
// count() needs nothing, sum a payload (0 when it does not contribute), avg a payload
// and a mask bit (its divisor), min/max live in their own deques.
void WindowSpec::BuildLayout() {
  layout_.assign(aggregates_.size(), AggregateLayout{});
  for (size_t i = 0; i < aggregates_.size(); ++i) {
    const AggregateSpec& aggregate = aggregates_[i];
    AggregateLayout& entry = layout_[i];
    switch (aggregate.function) {
      case AggregateFunction::kCount:
        entry.uses_mask_bit = aggregate.has_filter;
        break;
      case AggregateFunction::kAvg:
        entry.uses_mask_bit = true;
        [[fallthrough]];
      case AggregateFunction::kSum:
        has_float_sum_ = has_float_sum_ || aggregate.value_type == Type::kFloat;
        break;
      case AggregateFunction::kMin:
      case AggregateFunction::kMax:
        entry.extreme_index = static_cast<int8_t>(extreme_count_++);
        break;
      case AggregateFunction::kCountDistinct:
        entry.distinct_index = static_cast<int8_t>(distinct_count_++);
        break;
    }
    has_mask_ = has_mask_ || entry.uses_mask_bit;
  }
  row_words_ = has_mask_ ? 2 : 1;
  for (size_t i = 0; i < aggregates_.size(); ++i) {
    const AggregateFunction function = aggregates_[i].function;
    if (function == AggregateFunction::kSum || function == AggregateFunction::kAvg ||
        function == AggregateFunction::kCountDistinct) {
      layout_[i].payload_word = static_cast<int8_t>(row_words_++);
    }
  }
}

Result<WindowSpec> WindowSpec::Last(Duration size, std::vector<AggregateSpec> aggregates) {
  return Make(WindowKind::kLast, size, size, std::move(aggregates));
}
Result<WindowSpec> WindowSpec::Tumbling(Duration size, std::vector<AggregateSpec> aggregates) {
  return Make(WindowKind::kTumbling, size, size, std::move(aggregates));
}
Result<WindowSpec> WindowSpec::Sliding(Duration size, Duration slide,
                                       std::vector<AggregateSpec> aggregates) {
  return Make(WindowKind::kSliding, size, slide, std::move(aggregates));
}
Result<WindowSpec> WindowSpec::Session(Duration gap, std::vector<AggregateSpec> aggregates) {
  return Make(WindowKind::kSession, gap, gap, std::move(aggregates));
}

}  // namespace cep
