#include "engine/replay/sweep_grid.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>

namespace engine {

namespace {

constexpr int kMaxDecimals = 9;
constexpr int64_t kMaxMagnitude = int64_t{1} << 53;  // scaled values stay far from overflow

// A decimal as written: "-2.50" is digits -250 at 2 decimals.
struct Decimal {
  int64_t digits = 0;
  int decimals = 0;
};

std::optional<Decimal> ParseDecimal(std::string_view text) {
  Decimal d;
  bool negative = false;
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  bool digits = false, point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    digits = true;
    if (point && ++d.decimals > kMaxDecimals) return std::nullopt;
    d.digits = d.digits * 10 + (c - '0');
    if (d.digits > kMaxMagnitude) return std::nullopt;
  }
  if (!digits) return std::nullopt;
  if (negative) d.digits = -d.digits;
  return d;
}

int64_t Scale(const Decimal& d, int decimals) {
  int64_t v = d.digits;
  for (int i = d.decimals; i < decimals; ++i) v *= 10;
  return v;
}

std::string Format(int64_t scaled, int decimals) {
  const bool negative = scaled < 0;
  std::string digits = std::to_string(negative ? -scaled : scaled);
  if (decimals > 0) {
    if (digits.size() <= static_cast<size_t>(decimals)) {
      digits.insert(0, static_cast<size_t>(decimals) + 1 - digits.size(), '0');
    }
    digits.insert(digits.size() - static_cast<size_t>(decimals), ".");
  }
  return negative ? "-" + digits : digits;
}

}  // namespace

cep::Result<SweepParameter> ParseSweepParameter(std::string_view spec) {
  const std::string quoted = "--sweep " + std::string(spec) + ": ";
  const auto bad = [&](const std::string& why) { return cep::InvalidArgument(quoted + why); };
  const size_t eq = spec.find('=');
  const size_t dots = spec.find("..");
  const size_t colon = spec.rfind(':');
  if (eq == std::string_view::npos || eq == 0 || dots == std::string_view::npos || dots < eq ||
      colon == std::string_view::npos || colon < dots) {
    return bad("expected NAME=FROM..TO:STEP, e.g. --sweep SPIKE=2.6..3.0:0.1");
  }
  SweepParameter parameter;
  parameter.name = std::string(spec.substr(0, eq));
  if (const size_t dot = parameter.name.rfind('.'); dot != std::string::npos) {
    return bad("consts belong to the ruleset, not to a rule: write --sweep " +
               parameter.name.substr(dot + 1) + std::string(spec.substr(eq)));
  }
  const auto from = ParseDecimal(spec.substr(eq + 1, dots - eq - 1));
  const auto to = ParseDecimal(spec.substr(dots + 2, colon - dots - 2));
  const auto step = ParseDecimal(spec.substr(colon + 1));
  if (!from || !to || !step) {
    return bad("FROM, TO and STEP must be decimal numbers (at most " +
               std::to_string(kMaxDecimals) + " decimals), e.g. --sweep SPIKE=2.6..3.0:0.1");
  }
  const int decimals = std::max({from->decimals, to->decimals, step->decimals});
  const int64_t lo = Scale(*from, decimals), hi = Scale(*to, decimals), inc = Scale(*step, decimals);
  if (inc <= 0) return bad("STEP must be greater than 0");
  if (lo > hi) return bad("FROM must not be greater than TO");
  if ((hi - lo) / inc + 1 > static_cast<int64_t>(kMaxSweepVariants)) {
    return bad("more than " + std::to_string(kMaxSweepVariants) + " values");
  }
  for (int64_t v = lo; v <= hi; v += inc) parameter.values.push_back(Format(v, decimals));
  return parameter;
}

cep::Result<std::vector<SweepVariant>> SweepGrid(const std::vector<SweepParameter>& parameters,
                                                 size_t max_variants) {
  std::set<std::string> names;
  size_t total = parameters.empty() ? 0 : 1;
  for (const SweepParameter& p : parameters) {
    if (!names.insert(p.name).second) {
      return cep::InvalidArgument("--sweep " + p.name + " is given twice");
    }
    total *= p.values.size();
    if (total > max_variants) {
      return cep::InvalidArgument("--sweep: more than " + std::to_string(max_variants) +
                                  " variants (the grid multiplies every parameter's values)");
    }
  }
  std::vector<SweepVariant> grid;
  if (total == 0) return grid;
  grid.reserve(total);
  std::vector<size_t> at(parameters.size(), 0);
  for (size_t n = 0; n < total; ++n) {
    SweepVariant variant;
    for (size_t p = 0; p < parameters.size(); ++p) {
      variant.emplace_back(parameters[p].name, parameters[p].values[at[p]]);
    }
    grid.push_back(std::move(variant));
    // The last parameter varies fastest.
    for (size_t p = parameters.size(); p-- > 0;) {
      if (++at[p] < parameters[p].values.size()) break;
      at[p] = 0;
    }
  }
  return grid;
}

std::string VariantText(const SweepVariant& variant) {
  std::string text;
  for (const auto& [name, value] : variant) {
    if (!text.empty()) text += ", ";
    text += name + "=" + value;
  }
  return text;
}

std::vector<bool> ParetoFront(const std::vector<PrecisionRecall>& points) {
  std::vector<bool> front(points.size(), true);
  for (size_t i = 0; i < points.size(); ++i) {
    for (size_t j = 0; j < points.size() && front[i]; ++j) {
      const PrecisionRecall& a = points[j];
      const PrecisionRecall& b = points[i];
      if (a.precision >= b.precision && a.recall >= b.recall &&
          (a.precision > b.precision || a.recall > b.recall)) {
        front[i] = false;
      }
    }
  }
  return front;
}

}  // namespace engine
