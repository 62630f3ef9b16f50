#include "api/metrics/prometheus_writer.h"

#include <charconv>
#include <cmath>
#include <utility>

#include "cep/base/check.h"

namespace api::metrics {
namespace {

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// `name{a="x",b="y"}` (no braces without labels), checking the label names.
// `extra` is one more label written last (the histogram's `le`), or empty.
void AppendSeries(std::string& out, std::string_view name, const Labels& labels,
                  std::string_view extra_name = {}, std::string_view extra_value = {}) {
  out += name;
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  auto append = [&](std::string_view label, std::string_view value) {
    if (!first) out += ',';
    first = false;
    out += label;
    out += "=\"";
    out += PrometheusWriter::EscapeLabelValue(value);
    out += '"';
  };
  for (size_t i = 0; i < labels.size(); ++i) {
    CHECK(PrometheusWriter::IsValidLabelName(labels[i].name), "invalid Prometheus label name");
    for (size_t j = 0; j < i; ++j) {
      CHECK(labels[j].name != labels[i].name, "label given twice in one sample");
    }
    append(labels[i].name, labels[i].value);
  }
  if (!extra_name.empty()) append(extra_name, extra_value);
  out += '}';
}

}  // namespace

PrometheusWriter::Family::Family(std::string name, std::string help, MetricType type)
    : name_(std::move(name)), help_(std::move(help)), type_(type) {}

PrometheusWriter::Family& PrometheusWriter::Family::AddFormatted(const Labels& labels,
                                                                 std::string_view value) {
  CHECK(type_ != MetricType::kHistogram, "use AddHistogram on a histogram family");
  AppendSeries(samples_, name_, labels);
  samples_ += ' ';
  samples_ += value;
  samples_ += '\n';
  return *this;
}

PrometheusWriter::Family& PrometheusWriter::Family::AddHistogram(
    const Labels& labels, std::span<const double> upper_bounds,
    std::span<const uint64_t> bucket_counts, double sum) {
  CHECK(type_ == MetricType::kHistogram, "AddHistogram on a counter or gauge family");
  CHECK(bucket_counts.size() == upper_bounds.size() + 1, "one bucket count per bound, plus +Inf");
  for (const Label& label : labels) CHECK(label.name != "le", "`le` is the histogram's own label");
  const std::string bucket = name_ + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bucket_counts.size(); ++i) {
    const bool inf = i == upper_bounds.size();
    CHECK(inf || std::isfinite(upper_bounds[i]), "histogram bounds must be finite");
    CHECK(inf || i == 0 || upper_bounds[i - 1] < upper_bounds[i],
          "histogram bounds must strictly increase");
    cumulative += bucket_counts[i];
    AppendSeries(samples_, bucket, labels, "le", inf ? "+Inf" : FormatDouble(upper_bounds[i]));
    samples_ += ' ';
    samples_ += std::to_string(cumulative);
    samples_ += '\n';
  }
  AppendSeries(samples_, name_ + "_sum", labels);
  samples_ += ' ';
  samples_ += FormatDouble(sum);
  samples_ += '\n';
  AppendSeries(samples_, name_ + "_count", labels);
  samples_ += ' ';
  samples_ += std::to_string(cumulative);
  samples_ += '\n';
  return *this;
}

PrometheusWriter::Family& PrometheusWriter::Counter(std::string name, std::string help) {
  return Declare(std::move(name), std::move(help), MetricType::kCounter);
}

PrometheusWriter::Family& PrometheusWriter::Gauge(std::string name, std::string help) {
  return Declare(std::move(name), std::move(help), MetricType::kGauge);
}

PrometheusWriter::Family& PrometheusWriter::Histogram(std::string name, std::string help) {
  return Declare(std::move(name), std::move(help), MetricType::kHistogram);
}

PrometheusWriter::Family& PrometheusWriter::Declare(std::string name, std::string help,
                                                    MetricType type) {
  CHECK(IsValidMetricName(name), "invalid Prometheus metric name");
  for (const auto& family : families_) {
    CHECK(family->name() != name, "metric family declared twice");
  }
  families_.push_back(std::unique_ptr<Family>(new Family(std::move(name), std::move(help), type)));
  return *families_.back();
}

std::string PrometheusWriter::Render() const {
  std::string out;
  for (const auto& family : families_) {
    if (family->samples_.empty()) continue;
    out += "# HELP ";
    out += family->name_;
    out += ' ';
    out += EscapeHelp(family->help_);
    out += "\n# TYPE ";
    out += family->name_;
    out += ' ';
    out += TypeName(family->type_);
    out += '\n';
    out += family->samples_;
  }
  return out;
}

std::string PrometheusWriter::FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";  // also -0
  char buffer[64];
  // Integral values (counts kept in doubles) without exponent; 1e21 keeps the
  // fixed form short. Anything else: shortest round-trip form, which Go's
  // ParseFloat (Prometheus) reads, exponent included.
  const bool integral = std::fabs(value) < 1e21 && std::trunc(value) == value;
  const auto result =
      integral ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
               : std::to_chars(buffer, buffer + sizeof buffer, value);
  CHECK(result.ec == std::errc(), "a double fits in 64 characters");
  return std::string(buffer, result.ptr);
}

std::string PrometheusWriter::EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string PrometheusWriter::EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

bool PrometheusWriter::IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(IsAsciiLetter(c) || c == '_' || c == ':' || (i > 0 && IsAsciiDigit(c)))) return false;
  }
  return true;
}

bool PrometheusWriter::IsValidLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(IsAsciiLetter(c) || c == '_' || (i > 0 && IsAsciiDigit(c)))) return false;
  }
  return true;
}

}  // namespace api::metrics
