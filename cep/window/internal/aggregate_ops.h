#pragma once

#include <cstdint>
#include <string_view>

#include "cep/value.h"
#include "cep/window/window_spec.h"

// Value arithmetic shared by the window states: every aggregated value is kept as a
// 64-bit payload (int64 bits for int/decimal/time/duration/bool, double bits for
// float), which makes entries, deques and snapshots type-independent.
// Private to cep/window/ and its tests.
namespace cep::internal {

// Running state of one aggregate: contributing values and their sum / extreme.
struct AggregateSlot {
  int64_t count = 0;
  uint64_t payload = 0;
};

// Whether the input counts for the aggregate: count() counts included events; the
// others also skip null (and NaN, which has no order). CHECK-fails when a non-null
// value has another type than the spec's: the rules checker guarantees it.
bool Contributes(const AggregateSpec& spec, const AggregateInput& input);

uint64_t PayloadOf(const Value& value);
Value ValueOfPayload(Type type, uint64_t payload);

// Sums wrap modulo 2^64 for int-like types, so subtracting an evicted value undoes
// adding it exactly; the result is right whenever the true sum fits in int64.
uint64_t AddPayload(Type type, uint64_t a, uint64_t b);
uint64_t SubtractPayload(Type type, uint64_t a, uint64_t b);
bool PayloadLess(Type type, uint64_t a, uint64_t b);

// Whether `candidate` should replace `current` as the min (or max) of a slot.
inline bool Improves(AggregateFunction function, Type type, uint64_t candidate, uint64_t current) {
  return function == AggregateFunction::kMin ? PayloadLess(type, candidate, current)
                                             : PayloadLess(type, current, candidate);
}

// The exact identity of a value for count_distinct: a string's bytes, or the 8
// payload bytes of any other type (written to `scratch`). Each aggregate has one
// value type, so the two forms never meet in one set.
std::string_view DistinctKey(const Value& value, char (&scratch)[8]);

// Adds one contributing value to a slot that never evicts (tumbling, sliding, session).
void Accumulate(const AggregateSpec& spec, AggregateSlot& slot, uint64_t payload);
// Folds `from` into `into` (sessions merging).
void MergeSlot(const AggregateSpec& spec, AggregateSlot& into, const AggregateSlot& from);

// The aggregate's value (README, "Aggregates"): count and count_distinct are ints;
// sum keeps the input type and is 0 when nothing contributed; avg is float, or decimal
// (duration) rounded half away from zero for decimal (duration) inputs; avg, min and
// max are null when nothing contributed.
Value FinishAggregate(const AggregateSpec& spec, const AggregateSlot& slot, size_t distinct);

// Rounds a / b half away from zero (b > 0).
int64_t DivideRounded(int64_t a, int64_t b);

}  // namespace cep::internal
