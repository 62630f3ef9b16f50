#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "cep/base/result.h"
#include "cep/base/time.h"
#include "cep/value.h"

namespace cep {

// The window of a velocity rule (DSL.md, "Velocity windows"); semantics and edge
// cases are pinned in cep/window/README.md.
enum class WindowKind : uint8_t {
  kLast = 0,      // `last D`: at each event, over ts in (t - D, t]
  kTumbling = 1,  // `tumbling D`: [kD, (k+1)D), fires on the watermark
  kSliding = 2,   // `sliding D every S`: [kS, kS + D), fires on the watermark
  kSession = 3,   // `session gap D`: [first, last + D), fires on the watermark
};
std::string_view WindowKindName(WindowKind kind);

enum class AggregateFunction : uint8_t {
  kCount = 0,  // events (count()) or included events (count(where ...))
  kSum = 1,
  kAvg = 2,
  kMin = 3,
  kMax = 4,
  kCountDistinct = 5,
};
std::string_view AggregateFunctionName(AggregateFunction function);

// One aggregate of a rule, e.g. `sum(amount where country != "US")`.
struct AggregateSpec {
  AggregateFunction function = AggregateFunction::kCount;
  // The aggregated field's type; kNull for count(). Inputs must be null or of it.
  Type value_type = Type::kNull;
  // Whether the aggregate has its own `where`. Without one, `included` is always true,
  // which lets an unfiltered count() keep no per-event state at all.
  bool has_filter = false;

  friend bool operator==(const AggregateSpec&, const AggregateSpec&) = default;
};

// What the caller evaluated for one aggregate and one event that passed the rule's
// `where`. `value` may borrow event bytes: it is only read during the call.
struct AggregateInput {
  bool included = true;  // the aggregate's own filter passed (true when it has none)
  Value value;           // the aggregated field; ignored by count()
};

// A window that fired: [start, end) and one value per aggregate, in spec order.
// Values never borrow (no aggregate yields a string).
struct WindowResult {
  EventTime start;
  EventTime end;
  std::vector<Value> values;
};

// Where each aggregate keeps its per-event data in a `last D` entry row (derived
// from the aggregates, so every key state of a rule shares it).
struct AggregateLayout {
  int8_t payload_word = -1;    // row word with the value (sum, avg, count_distinct)
  int8_t extreme_index = -1;   // which min/max deque
  int8_t distinct_index = -1;  // which count_distinct map
  bool uses_mask_bit = false;  // bit `index` of the row's mask word says "contributes"
};

// The immutable, validated description of one rule's window: built once by the rules
// compiler and shared (by const reference or shared_ptr<const WindowSpec>) by every
// key state of the rule. Threading: immutable, safe to share.
class WindowSpec {
 public:
  static constexpr size_t kMaxAggregates = 64;         // one mask bit each
  static constexpr int64_t kMaxSlidingOverlap = 1024;  // D / S: windows per event
  // Durations above ~35,000 years are refused, so window arithmetic on event times
  // (|ts| < 2^62 ms) cannot overflow.
  static constexpr Duration kMaxDuration = Duration::Millis(int64_t{1} << 50);

  // InvalidArgument when a duration is not positive, an aggregate does not accept
  // its value type, there are too many aggregates, or D / S is too large.
  static Result<WindowSpec> Last(Duration size, std::vector<AggregateSpec> aggregates);
  static Result<WindowSpec> Tumbling(Duration size, std::vector<AggregateSpec> aggregates);
  static Result<WindowSpec> Sliding(Duration size, Duration slide,
                                    std::vector<AggregateSpec> aggregates);
  static Result<WindowSpec> Session(Duration gap, std::vector<AggregateSpec> aggregates);

  WindowKind kind() const { return kind_; }
  Duration size() const { return size_; }    // D; the gap for sessions
  Duration slide() const { return slide_; }  // S for sliding, D for tumbling
  std::span<const AggregateSpec> aggregates() const { return aggregates_; }
  size_t aggregate_count() const { return aggregates_.size(); }

  // `last D` entry row layout: word 0 is ts, then the mask word if any, then payloads.
  std::span<const AggregateLayout> layout() const { return layout_; }
  uint32_t row_words() const { return row_words_; }
  bool has_mask() const { return has_mask_; }
  uint32_t extreme_count() const { return extreme_count_; }
  uint32_t distinct_count() const { return distinct_count_; }
  bool has_float_sum() const { return has_float_sum_; }

 private:
  WindowSpec() = default;
  static Result<WindowSpec> Make(WindowKind kind, Duration size, Duration slide,
                                 std::vector<AggregateSpec> aggregates);
  void BuildLayout();

  WindowKind kind_ = WindowKind::kLast;
  Duration size_;
  Duration slide_;
  std::vector<AggregateSpec> aggregates_;
  std::vector<AggregateLayout> layout_;
  uint32_t row_words_ = 1;
  uint32_t extreme_count_ = 0;
  uint32_t distinct_count_ = 0;
  bool has_mask_ = false;
  bool has_float_sum_ = false;
};

}  // namespace cep
