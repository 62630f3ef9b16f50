#pragma once

// The constant list of an `x in [...]` node, built once at compile time: a
// linear scan for short lists, an open-addressing hash set for longer ones, so
// membership never allocates and costs O(1) for lists of thousands.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/result.h"
#include "cep/value.h"

namespace cep::internal {

class ValueSet {
 public:
  // Lists up to this long are scanned; longer ones are hashed.
  static constexpr size_t kMaxLinear = 8;

  // A set for probes of type `probe` (not kNull). Null elements are dropped (they
  // never equal anything); an element whose type cannot compare with `probe` is
  // an error. Numbers compare across int/decimal/float like `==`.
  static Result<std::shared_ptr<const ValueSet>> Make(Type probe, std::span<const Value> list);

  // `v` is non-null and of the probe type.
  bool Contains(const Value& v) const;

  size_t size() const { return domain_ == Domain::kString ? strings_.size() : ints_.size(); }

 private:
  // What elements are stored as: strings, exact 64-bit integers (int, decimal
  // micros, time and duration millis, bool), or doubles held by their bits.
  enum class Domain : uint8_t { kString, kInt, kDecimal, kFloat };

  ValueSet() = default;
  // The integer key of a non-string element or probe; nullopt if the domain
  // cannot hold it (a NaN, an int beyond the decimal range).
  std::optional<int64_t> Key(const Value& v) const;
  void Index();
  bool ContainsInt(int64_t key) const;
  bool ContainsString(std::string_view key) const;

  Domain domain_ = Domain::kInt;
  Type probe_ = Type::kNull;
  std::vector<int64_t> ints_;
  std::vector<std::string> strings_;
  // Open addressing, linear probing, capacity a power of two at most half full.
  // Slots hold indexes into ints_/strings_; kEmpty marks a free slot.
  static constexpr uint32_t kEmpty = UINT32_MAX;
  std::vector<uint32_t> table_;
  uint32_t mask_ = 0;
};

}  // namespace cep::internal
