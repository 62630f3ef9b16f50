#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cep/base/result.h"

namespace engine {

// The parameter grid of `cep replay --sweep NAME=FROM..TO:STEP` (issue #7).
//
// A parameter is a ruleset `const` and the decimal values it takes: FROM,
// FROM + STEP, ... up to TO inclusive, computed exactly in the finest decimal
// place of the three numbers and written with that many decimals, so
// `2.6..3.0:0.1` gives "2.6" "2.7" "2.8" "2.9" "3.0" and `2..4:1` "2" "3" "4".
// Several parameters make a grid of every combination. Pure functions.

struct SweepParameter {
  std::string name;                 // the const
  std::vector<std::string> values;  // as the const's literal text, ascending
};

// One variant: (const, value) for every parameter, in parameter order.
using SweepVariant = std::vector<std::pair<std::string, std::string>>;

inline constexpr size_t kMaxSweepVariants = 1000;

// Parses "NAME=FROM..TO:STEP". Fails (a message for the user) on bad syntax, a
// dotted NAME (consts belong to the ruleset, not to a rule), STEP <= 0, FROM > TO,
// more than 9 decimals, or more than kMaxSweepVariants values.
cep::Result<SweepParameter> ParseSweepParameter(std::string_view spec);

// Every combination, the first parameter varying slowest. Fails on a name given
// twice or more than `max_variants` combinations.
cep::Result<std::vector<SweepVariant>> SweepGrid(const std::vector<SweepParameter>& parameters,
                                                 size_t max_variants = kMaxSweepVariants);

// "SPIKE=2.8, REPORTS=3": a variant for people.
std::string VariantText(const SweepVariant& variant);

// The Pareto front of precision vs recall: true for a point that no other point
// dominates (precision >= and recall >= with at least one >). Equal points are
// all on the front.
struct PrecisionRecall {
  double precision = 0;
  double recall = 0;
};
std::vector<bool> ParetoFront(const std::vector<PrecisionRecall>& points);

}  // namespace engine
