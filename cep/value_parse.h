#pragma once

#include <string_view>

#include "cep/base/result.h"
#include "cep/value.h"

namespace cep {

// Reads a field value written as text (a CSV cell, a mapped column) as `type`:
// int and float as numbers, decimal exactly (cep/base/decimal.h), bool as
// true/false/1/0, time as integer milliseconds or ISO-8601, duration as a
// literal such as "10m". An empty cell is null. Strings are borrowed from `text`.
// The error message says what was expected; the caller adds the field name.
Result<Value> ParseValue(Type type, std::string_view text);

}  // namespace cep
