#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace api::metrics {

// One label of a sample. Names are fixed by our code; values may be anything
// (ruleset and rule names come from users) and are escaped when written.
struct Label {
  std::string name;
  std::string value;
};
using Labels = std::vector<Label>;

enum class MetricType { kCounter, kGauge, kHistogram };

// Writes the Prometheus text exposition format, version 0.0.4
// (Content-Type: text/plain; version=0.0.4; charset=utf-8).
//
// Families are declared once (name, help, type) and collect their samples;
// Render() writes each family's `# HELP` and `# TYPE` lines followed by all of
// its samples, in declaration order, so a family's samples are contiguous
// whatever order the caller adds them in. A family without samples is left out.
//
//   PrometheusWriter w;
//   auto& alerts = w.Counter("cep_alerts_total", "Alerts produced.");
//   alerts.Add({{"mode", "live"}}, stats.alerts);
//   std::string body = w.Render();
//
// Numbers: integer types are written exactly; doubles with an integral value
// below 1e21 without exponent, others in the shortest form that reads back to
// the same double; infinities as +Inf / -Inf and NaN as NaN.
//
// Metric and label names are checked (CHECK: a wrong name is our bug, not the
// user's): metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]* not starting with "__", no label twice in a sample,
// no family declared twice, and no `le` label on a histogram.
//
// Threading: one owner; build, render, throw away (one per scrape).
class PrometheusWriter {
 public:
  class Family {
   public:
    // A counter or gauge sample. Any arithmetic type; bool is written as 0/1.
    template <typename T>
    requires std::is_arithmetic_v<T> Family& Add(const Labels& labels, T value) {
      if constexpr (std::is_same_v<T, bool>) {
        return AddFormatted(labels, value ? "1" : "0");
      } else if constexpr (std::is_floating_point_v<T>) {
        return AddFormatted(labels, FormatDouble(static_cast<double>(value)));
      } else if constexpr (std::is_signed_v<T>) {
        return AddFormatted(labels, std::to_string(static_cast<long long>(value)));
      } else {
        return AddFormatted(labels, std::to_string(static_cast<unsigned long long>(value)));
      }
    }

    // A histogram sample: `bucket_counts` per bucket, NOT cumulative, one more
    // than `upper_bounds` (the last is +Inf); bounds strictly increasing. Written
    // as cumulative `_bucket{le=...}` series, `_sum` and `_count` (the total of
    // the buckets). Only on a histogram family (CHECK).
    Family& AddHistogram(const Labels& labels, std::span<const double> upper_bounds,
                         std::span<const uint64_t> bucket_counts, double sum);

    const std::string& name() const { return name_; }
    MetricType type() const { return type_; }

   private:
    friend class PrometheusWriter;
    Family(std::string name, std::string help, MetricType type);
    Family& AddFormatted(const Labels& labels, std::string_view value);

    std::string name_;
    std::string help_;
    MetricType type_;
    std::string samples_;  // rendered sample lines
  };

  PrometheusWriter() = default;
  PrometheusWriter(const PrometheusWriter&) = delete;
  PrometheusWriter& operator=(const PrometheusWriter&) = delete;

  // Declares a family. The reference stays valid as long as the writer.
  Family& Counter(std::string name, std::string help);
  Family& Gauge(std::string name, std::string help);
  Family& Histogram(std::string name, std::string help);

  // The exposition text: every family with samples, in declaration order.
  std::string Render() const;

  // Exposed for tests and for callers writing a single value.
  static std::string FormatDouble(double value);
  static std::string EscapeLabelValue(std::string_view value);
  static std::string EscapeHelp(std::string_view help);
  static bool IsValidMetricName(std::string_view name);
  static bool IsValidLabelName(std::string_view name);

 private:
  Family& Declare(std::string name, std::string help, MetricType type);

  std::vector<std::unique_ptr<Family>> families_;
};

// The Content-Type to answer /metrics with.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace api::metrics
