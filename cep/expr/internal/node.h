#pragma once

// One node of a compiled expression, and the helpers its evaluation functions
// share. Private to cep/expr/ and its tests.

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "cep/expr/eval_context.h"
#include "cep/expr/expr.h"
#include "cep/match_view.h"
#include "cep/value.h"

namespace cep::internal {

class ValueSet;
using EvalFn = Value (*)(const Node& node, EvalContext& ctx);

inline constexpr size_t kMaxKids = 4;  // geo_km has four arguments

// A node is its evaluation function plus the operands that function reads. The
// builder picks `fn` once the operand types are known (e.g. "decimal < int"), so
// `fn` never re-checks types: every child yields null or its declared type.
struct Node {
  EvalFn fn = nullptr;
  Type type = Type::kNull;  // result type
  uint8_t op = 0;           // operator or function code, for the shared eval functions
  bool negate = false;      // `not in`, `is not null`, `!~`
  uint8_t kid_count = 0;
  SlotIndex slot = 0;       // field reads
  Type field_type = Type::kNull;  // the slot's type, for stage aggregates
  StageIndex stage = 0;     // stage references
  uint32_t index = 0;       // regex id or window aggregate index
  std::array<uint32_t, kMaxKids> kid_ids{};      // in the builder's pool
  std::array<const Node*, kMaxKids> kids{};      // in the Expr, set by Build
  Value constant;                                // literals
  std::shared_ptr<const std::string> text;       // owns a string constant's bytes
  std::shared_ptr<const ValueSet> set;           // `in` lists
};

inline Value Eval(const Node& node, EvalContext& ctx) { return node.fn(node, ctx); }
inline Value EvalKid(const Node& node, size_t i, EvalContext& ctx) {
  return Eval(*node.kids[i], ctx);
}

// Every node result is null or of the node's type, so `is_null()` is the only
// check an operand needs. Booleans: null counts as false.
inline bool Truthy(const Value& v) { return v.type() == Type::kBool && v.bool_value(); }

}  // namespace cep::internal
