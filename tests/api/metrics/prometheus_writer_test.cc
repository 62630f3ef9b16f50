#include "api/metrics/prometheus_writer.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "tests/api/metrics/exposition_parser.h"

namespace api::metrics {
namespace {

TEST(PrometheusWriterTest, WritesFamiliesInDeclarationOrderWithContiguousSamples) {
  PrometheusWriter w;
  auto& records = w.Counter("cep_records_total", "Records read.");
  auto& depth = w.Gauge("cep_depth", "Queue depth.");
  w.Gauge("cep_unused", "Never given a sample.");
  // Interleaved adds still render grouped per family.
  records.Add({{"partition", "0"}}, uint64_t{12});
  depth.Add({}, 3);
  records.Add({{"partition", "1"}}, uint64_t{18446744073709551615u});
  depth.Add({{"slot", "1"}}, -2.5);

  EXPECT_EQ(w.Render(),
            "# HELP cep_records_total Records read.\n"
            "# TYPE cep_records_total counter\n"
            "cep_records_total{partition=\"0\"} 12\n"
            "cep_records_total{partition=\"1\"} 18446744073709551615\n"
            "# HELP cep_depth Queue depth.\n"
            "# TYPE cep_depth gauge\n"
            "cep_depth 3\n"
            "cep_depth{slot=\"1\"} -2.5\n");
}

TEST(PrometheusWriterTest, EscapesLabelValuesAndHelp) {
  PrometheusWriter w;
  w.Gauge("cep_x", "Back\\slash and\nnewline \"quoted\".")
      .Add({{"rule", "a\\b\"c\nd"}, {"ruleset", "plain"}}, 1);
  const std::string text = w.Render();
  EXPECT_EQ(text,
            "# HELP cep_x Back\\\\slash and\\nnewline \"quoted\".\n"
            "# TYPE cep_x gauge\n"
            "cep_x{rule=\"a\\\\b\\\"c\\nd\",ruleset=\"plain\"} 1\n");
  // And reads back to the original strings.
  auto parsed = test::ParseExposition(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->Family("cep_x")->help, "Back\\slash and\nnewline \"quoted\".");
  EXPECT_EQ(parsed->Value("cep_x", {{"rule", "a\\b\"c\nd"}, {"ruleset", "plain"}}), 1.0);
}

TEST(PrometheusWriterTest, WritesHistogramBucketsCumulativeWithInf) {
  PrometheusWriter w;
  const std::vector<double> bounds = {0.005, 0.5, 1, 2.5};
  const std::vector<uint64_t> counts = {1, 0, 3, 2, 4};  // last: above 2.5
  w.Histogram("cep_latency_seconds", "Latency.")
      .AddHistogram({{"mode", "live"}}, bounds, counts, 31.25);
  EXPECT_EQ(w.Render(),
            "# HELP cep_latency_seconds Latency.\n"
            "# TYPE cep_latency_seconds histogram\n"
            "cep_latency_seconds_bucket{mode=\"live\",le=\"0.005\"} 1\n"
            "cep_latency_seconds_bucket{mode=\"live\",le=\"0.5\"} 1\n"
            "cep_latency_seconds_bucket{mode=\"live\",le=\"1\"} 4\n"
            "cep_latency_seconds_bucket{mode=\"live\",le=\"2.5\"} 6\n"
            "cep_latency_seconds_bucket{mode=\"live\",le=\"+Inf\"} 10\n"
            "cep_latency_seconds_sum{mode=\"live\"} 31.25\n"
            "cep_latency_seconds_count{mode=\"live\"} 10\n");
}

TEST(PrometheusWriterTest, FormatsNumbersSoPrometheusParsesThem) {
  EXPECT_EQ(PrometheusWriter::FormatDouble(0), "0");
  EXPECT_EQ(PrometheusWriter::FormatDouble(-0.0), "0");
  EXPECT_EQ(PrometheusWriter::FormatDouble(42), "42");
  EXPECT_EQ(PrometheusWriter::FormatDouble(1e15), "1000000000000000");
  EXPECT_EQ(PrometheusWriter::FormatDouble(1700000000.123), "1700000000.123");
  EXPECT_EQ(PrometheusWriter::FormatDouble(0.1), "0.1");
  EXPECT_EQ(PrometheusWriter::FormatDouble(1e-7), "1e-07");
  EXPECT_EQ(PrometheusWriter::FormatDouble(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(PrometheusWriter::FormatDouble(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(PrometheusWriter::FormatDouble(std::nan("")), "NaN");

  PrometheusWriter w;
  w.Gauge("cep_values", "Values.")
      .Add({{"v", "int"}}, -7)
      .Add({{"v", "bool"}}, true)
      .Add({{"v", "int64min"}}, std::numeric_limits<int64_t>::min())
      .Add({{"v", "nan"}}, std::nan(""));
  auto parsed = test::ParseExposition(w.Render());
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->Value("cep_values", {{"v", "int"}}), -7.0);
  EXPECT_EQ(parsed->Value("cep_values", {{"v", "bool"}}), 1.0);
  EXPECT_EQ(parsed->Value("cep_values", {{"v", "int64min"}}), -9223372036854775808.0);
  EXPECT_TRUE(std::isnan(*parsed->Value("cep_values", {{"v", "nan"}})));
}

TEST(PrometheusWriterTest, ValidatesNames) {
  EXPECT_TRUE(PrometheusWriter::IsValidMetricName("cep_up"));
  EXPECT_TRUE(PrometheusWriter::IsValidMetricName("ns:cep_up2"));
  EXPECT_FALSE(PrometheusWriter::IsValidMetricName(""));
  EXPECT_FALSE(PrometheusWriter::IsValidMetricName("2cep"));
  EXPECT_FALSE(PrometheusWriter::IsValidMetricName("cep-up"));
  EXPECT_TRUE(PrometheusWriter::IsValidLabelName("ruleset"));
  EXPECT_FALSE(PrometheusWriter::IsValidLabelName("__name__"));
  EXPECT_FALSE(PrometheusWriter::IsValidLabelName("a:b"));
  EXPECT_FALSE(PrometheusWriter::IsValidLabelName("0a"));
}

void DeclareBadName() {
  PrometheusWriter w;
  w.Counter("cep-bad", "x");
}
void DeclareTwice() {
  PrometheusWriter w;
  w.Counter("cep_a_total", "x");
  w.Gauge("cep_a_total", "y");
}
void LabelTwice() {
  PrometheusWriter w;
  w.Gauge("cep_a", "x").Add({{"k", "1"}, {"k", "2"}}, 1);
}
void HistogramWithLe() {
  PrometheusWriter w;
  const std::vector<double> bounds = {1};
  const std::vector<uint64_t> counts = {1, 1};
  w.Histogram("cep_h", "x").AddHistogram({{"le", "1"}}, bounds, counts, 1);
}
void HistogramCountsMismatch() {
  PrometheusWriter w;
  const std::vector<double> bounds = {1, 2};
  const std::vector<uint64_t> counts = {1, 1};
  w.Histogram("cep_h", "x").AddHistogram({}, bounds, counts, 1);
}

TEST(PrometheusWriterDeathTest, RejectsProgrammerErrors) {
  EXPECT_DEATH(DeclareBadName(), "invalid Prometheus metric name");
  EXPECT_DEATH(DeclareTwice(), "declared twice");
  EXPECT_DEATH(LabelTwice(), "label given twice");
  EXPECT_DEATH(HistogramWithLe(), "histogram's own label");
  EXPECT_DEATH(HistogramCountsMismatch(), "one bucket count per bound");
}

// The test parser must refuse what Prometheus refuses, or the other tests prove nothing.
TEST(ExpositionParserTest, RejectsMalformedText) {
  const char* bad[] = {
      "cep_a 1",                                                    // no final newline
      "cep_a{x=\"1\"} 1\ncep_b 2\ncep_a{x=\"2\"} 3\n",              // not contiguous
      "# TYPE cep_a gauge\n# TYPE cep_a gauge\ncep_a 1\n",          // TYPE twice
      "# HELP cep_a x\n# HELP cep_a y\ncep_a 1\n",                  // HELP twice
      "cep_a 1\n# TYPE cep_a gauge\n",                              // TYPE after samples
      "cep_a{x=1} 1\n",                                             // unquoted label value
      "cep_a{x=\"\\t\"} 1\n",                                       // bad escape
      "cep_a{x=\"1\"} 1e\n",                                        // bad value
      "cep_a inf\n",                                                // we write +Inf (stricter)
      "cep_a 1\ncep_a 2\n",                                         // series twice
      "cep_a{x=\"1\",x=\"2\"} 1\n",                                 // label twice
      "# TYPE cep_c counter\ncep_c -1\n",                           // negative counter
      "# TYPE cep_h histogram\ncep_h_bucket{le=\"1\"} 2\n"          //
      "cep_h_bucket{le=\"+Inf\"} 1\ncep_h_count 1\ncep_h_sum 1\n",  // not cumulative
      "# TYPE cep_h histogram\ncep_h_bucket{le=\"+Inf\"} 2\ncep_h_count 1\n",  // count differs
  };
  for (const char* text : bad) {
    EXPECT_FALSE(test::ParseExposition(text).ok()) << text;
  }
  EXPECT_TRUE(test::ParseExposition("# a comment\n\ncep_a{x=\"1\",} 1.5e3\n").ok());
}

}  // namespace
}  // namespace api::metrics
