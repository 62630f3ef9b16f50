#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/result.h"

namespace api::metrics::test {

// A strict, test-only reader of the Prometheus text format 0.0.4, standing in
// for `promtool check metrics` (not packaged for us). It rejects what
// Prometheus rejects and a little more that our writer promises:
//   - every line ends with '\n'; `# HELP name text` and `# TYPE name type` at
//     most once per family, both before its first sample;
//   - a family's samples are contiguous (after another family started, it may
//     not come back); no series (name + labels) twice;
//   - names and label syntax (`{a="x",b="y"}`, escapes \\ \" \n only), values
//     as decimal numbers, +Inf, -Inf or NaN, no timestamps;
//   - samples name their family: `name` for counters and gauges,
//     `name_bucket` / `name_sum` / `name_count` for histograms;
//   - histogram buckets cumulative (non-decreasing in `le`), `le="+Inf"`
//     present and equal to `_count`.
struct ParsedSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct ParsedFamily {
  std::string name;
  std::string type;  // counter | gauge | histogram | summary | untyped
  std::string help;  // unescaped
  std::vector<ParsedSample> samples;
};

struct Exposition {
  std::vector<ParsedFamily> families;  // in the order of the text

  const ParsedFamily* Family(std::string_view name) const;
  // The value of the series `name` with exactly these labels.
  std::optional<double> Value(std::string_view name,
                              const std::map<std::string, std::string>& labels = {}) const;
};

cep::Result<Exposition> ParseExposition(std::string_view text);

}  // namespace api::metrics::test
