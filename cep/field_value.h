#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace cep {

// A value an alert or an explanation carries (emit fields, compared fields,
// window aggregates), owned: the events and scratch memory an expression read
// from do not outlive the evaluation. Decimals become doubles; times and
// durations integer milliseconds; monostate is null.
using FieldValue = std::variant<std::monostate, bool, int64_t, double, std::string>;

}  // namespace cep
