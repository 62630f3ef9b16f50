#pragma once

#include <cstdint>
#include <vector>

#include "cep/event.h"
#include "cep/expr/eval_context.h"
#include "cep/program.h"

namespace cep {

// The regex results of `event`: copies its hidden match-bit slots
// (Program::regex, filled by the engine's per-field Hyperscan scan) into
// `words` and returns a view of them for expression evaluation.
inline RegexMatches ReadRegexMatches(const Event& event, const RegexSlots& slots,
                                     std::vector<uint64_t>& words) {
  words.resize(slots.words.size());
  for (size_t i = 0; i < slots.words.size(); ++i) {
    const Value& v = event.field(slots.words[i]);
    words[i] = v.type() == Type::kInt ? static_cast<uint64_t>(v.int_value()) : 0;
  }
  return RegexMatches(words);
}

}  // namespace cep
