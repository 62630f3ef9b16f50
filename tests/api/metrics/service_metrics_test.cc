#include "api/metrics/service_metrics.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/api/metrics/exposition_parser.h"

namespace api::metrics {
namespace {

using test::Exposition;
using test::ParseExposition;

constexpr int64_t kNowMs = 1'700'000'100'000;

engine::ServiceStats FilledStats() {
  engine::ServiceStats s;
  s.records = 1000;
  s.events = 990;
  s.dead_letters = 10;
  s.late = 7;
  s.late_routed = 5;
  s.alerts = 40;
  s.shadow_alerts = 4;
  s.produce_errors = 1;
  s.alerts_already_written = 2;
  s.alerts_read_back_pending = 3;
  s.watermark = cep::EventTime::FromMillis(1'700'000'000'000);
  s.restored_checkpoint = 17;
  s.assignments = 3;
  s.hand_overs = 2;
  s.checkpoints.completed = 20;
  s.checkpoints.failed = 1;
  s.checkpoints.last_id = 21;
  s.checkpoints.last_completed_ms = kNowMs - 12'500;
  s.checkpoints.last_duration = std::chrono::milliseconds(250);
  s.checkpoints.last_bytes = 4096;
  s.checkpoints.last_longest_pause = std::chrono::microseconds(1500);
  s.checkpoints.last_rules = {{"card_fraud/card_testing", 30, 2048, 12},
                              {"card_fraud/velocity", 8, 512, 0}};
  s.queue_depths = {0, 5, 2};
  s.rules = {
      {"card_fraud", 3, "live", "card_testing", 900, 2, 1, 30, 5, 0},
      {"card_fraud", 4, "shadow", "card_testing", 900, 0, 0, 3, 1, 0},
      {"card_fraud", 3, "live", "velocity", 850, 0, 0, 0, 0, 6},
  };
  s.partitions = {
      {0, 1'700'000'005'000, 1'700'000'000'000, 120, 150, false},
      {1, 1'700'000'001'000, 1'699'999'996'000, 80, -1, true},  // end unknown
      {engine::Service::kIngestPartition, 0, 0, -1, -1, true},  // no event yet
  };
  s.alert_latency = {{0.01, 0.1, 1}, {5, 20, 10, 2}, 37, 9.75};
  s.ingested = 11;
  s.restored = true;
  s.consuming = true;
  return s;
}

MetricsContext FilledContext() {
  MetricsContext c;
  c.now_ms = kNowMs;
  c.version = "0.6.0";
  c.ready = true;
  c.http = {.requests = 321,
            .connections_open = 2,
            .connections_accepted = 50,
            .connections_rejected = 3};
  c.ruleset_versions_stored = 9;
  c.rulesets_active_live = 2;
  c.rulesets_active_shadow = 1;
  return c;
}

Exposition Parse(const std::string& text) {
  auto parsed = ParseExposition(text);
  EXPECT_TRUE(parsed.ok()) << parsed.error().ToString() << "\n" << text;
  return parsed.ok() ? *std::move(parsed) : Exposition{};
}

TEST(ServiceMetricsTest, RendersValidExpositionWithTheFigures) {
  const Exposition m = Parse(RenderServiceMetrics(FilledStats(), FilledContext()));

  EXPECT_EQ(m.Value("cep_up"), 1);
  EXPECT_EQ(m.Value("cep_ready"), 1);
  EXPECT_EQ(m.Value("cep_build_info", {{"version", "0.6.0"}}), 1);
  EXPECT_EQ(m.Value("cep_input_records_total"), 1000);
  EXPECT_EQ(m.Value("cep_events_total"), 990);
  EXPECT_EQ(m.Value("cep_dead_letters_total"), 10);
  EXPECT_EQ(m.Value("cep_late_events_total"), 7);
  EXPECT_EQ(m.Value("cep_late_events_routed_total"), 5);
  EXPECT_EQ(m.Value("cep_http_ingested_records_total"), 11);
  EXPECT_EQ(m.Value("cep_alerts_total", {{"mode", "live"}}), 40);
  EXPECT_EQ(m.Value("cep_alerts_total", {{"mode", "shadow"}}), 4);
  EXPECT_EQ(m.Value("cep_produce_errors_total"), 1);
  EXPECT_EQ(m.Value("cep_alerts_already_written_total"), 2);
  EXPECT_EQ(m.Value("cep_alerts_read_back_pending"), 3);
  EXPECT_EQ(m.Value("cep_restored_checkpoint_id"), 17);
  EXPECT_EQ(m.Value("cep_partition_assignments_total"), 3);
  EXPECT_EQ(m.Value("cep_partition_hand_overs_total"), 2);

  const std::map<std::string, std::string> live = {
      {"ruleset", "card_fraud"}, {"version", "3"}, {"mode", "live"}, {"rule", "card_testing"}};
  const std::map<std::string, std::string> shadow = {
      {"ruleset", "card_fraud"}, {"version", "4"}, {"mode", "shadow"}, {"rule", "card_testing"}};
  auto with = [](std::map<std::string, std::string> labels, std::string kind) {
    labels["kind"] = std::move(kind);
    return labels;
  };
  EXPECT_EQ(m.Value("cep_rule_evaluations_total", live), 900);
  EXPECT_EQ(m.Value("cep_rule_suppressed_total", live), 2);
  EXPECT_EQ(m.Value("cep_rule_late_dropped_total", live), 1);
  EXPECT_EQ(m.Value("cep_rule_alerts_total", with(live, "match")), 30);
  EXPECT_EQ(m.Value("cep_rule_alerts_total", with(live, "timeout")), 5);
  EXPECT_EQ(m.Value("cep_rule_alerts_total", with(live, "window")), 0);
  EXPECT_EQ(m.Value("cep_rule_alerts_total", with(shadow, "match")), 3);
  EXPECT_EQ(m.Family("cep_rule_alerts_total")->samples.size(), 9u);

  const std::map<std::string, std::string> testing_rule = {{"ruleset", "card_fraud"},
                                                           {"rule", "card_testing"}};
  EXPECT_EQ(m.Value("cep_rule_keys", testing_rule), 30);
  EXPECT_EQ(m.Value("cep_rule_state_bytes", testing_rule), 2048);
  EXPECT_EQ(m.Value("cep_rule_partial_matches", testing_rule), 12);

  EXPECT_EQ(m.Value("cep_watermark_seconds"), 1'700'000'000.0);
  EXPECT_EQ(m.Value("cep_partition_watermark_lag_seconds", {{"partition", "0"}}), 100.0);
  EXPECT_EQ(m.Value("cep_partition_watermark_lag_seconds", {{"partition", "1"}}), 104.0);
  EXPECT_EQ(m.Value("cep_partition_watermark_lag_seconds", {{"partition", "ingest"}}),
            std::nullopt);
  EXPECT_EQ(m.Value("cep_partition_idle", {{"partition", "0"}}), 0);
  EXPECT_EQ(m.Value("cep_partition_idle", {{"partition", "ingest"}}), 1);
  EXPECT_EQ(m.Value("cep_consumer_lag_records", {{"partition", "0"}}), 30);  // 150 - 120
  EXPECT_EQ(m.Value("cep_consumer_lag_records", {{"partition", "1"}}), std::nullopt);
  EXPECT_EQ(m.Family("cep_consumer_lag_records")->samples.size(), 1u);

  EXPECT_EQ(m.Value("cep_checkpoints_total", {{"result", "completed"}}), 20);
  EXPECT_EQ(m.Value("cep_checkpoints_total", {{"result", "failed"}}), 1);
  EXPECT_EQ(m.Value("cep_checkpoint_age_seconds"), 12.5);
  EXPECT_EQ(m.Value("cep_checkpoint_duration_seconds"), 0.25);
  EXPECT_EQ(m.Value("cep_checkpoint_bytes"), 4096);
  EXPECT_EQ(m.Value("cep_checkpoint_max_pause_seconds"), 0.0015);

  EXPECT_EQ(m.Value("cep_slot_queue_depth", {{"index", "1"}}), 5);

  EXPECT_EQ(m.Family("cep_alert_latency_seconds")->type, "histogram");
  EXPECT_EQ(m.Value("cep_alert_latency_seconds_bucket", {{"le", "0.1"}}), 25);
  EXPECT_EQ(m.Value("cep_alert_latency_seconds_bucket", {{"le", "+Inf"}}), 37);
  EXPECT_EQ(m.Value("cep_alert_latency_seconds_count"), 37);
  EXPECT_EQ(m.Value("cep_alert_latency_seconds_sum"), 9.75);

  EXPECT_EQ(m.Value("cep_http_requests_total"), 321);
  EXPECT_EQ(m.Value("cep_http_connections_open"), 2);
  EXPECT_EQ(m.Value("cep_http_connections_total", {{"result", "accepted"}}), 50);
  EXPECT_EQ(m.Value("cep_http_connections_total", {{"result", "rejected"}}), 3);
  EXPECT_EQ(m.Value("cep_ruleset_versions_stored"), 9);
  EXPECT_EQ(m.Value("cep_rulesets_active", {{"mode", "live"}}), 2);
  EXPECT_EQ(m.Value("cep_rulesets_active", {{"mode", "shadow"}}), 1);
}

TEST(ServiceMetricsTest, LeavesOutFiguresNotKnownYet) {
  engine::ServiceStats stats;
  stats.watermark = cep::EventTime::Min();  // what Service::stats() reports before any event
  const Exposition m = Parse(RenderServiceMetrics(stats, MetricsContext{}));
  EXPECT_EQ(m.Value("cep_ready"), 0);
  EXPECT_EQ(m.Value("cep_checkpoints_total", {{"result", "completed"}}), 0);
  for (const char* absent :
       {"cep_watermark_seconds", "cep_checkpoint_age_seconds", "cep_checkpoint_duration_seconds",
        "cep_checkpoint_bytes", "cep_checkpoint_max_pause_seconds", "cep_alert_latency_seconds",
        "cep_rule_evaluations_total", "cep_partition_idle", "cep_slot_queue_depth"}) {
    EXPECT_EQ(m.Family(absent), nullptr) << absent;
  }
}

TEST(ServiceMetricsTest, KeepsHostileRuleNamesInsideTheirLabel) {
  engine::ServiceStats stats;
  stats.rules = {{"a\"b", 1, "live", "x\\y\nz}", 1, 0, 0, 0, 0, 0}};
  const Exposition m = Parse(RenderServiceMetrics(stats, MetricsContext{}));
  EXPECT_EQ(
      m.Value("cep_rule_evaluations_total",
              {{"ruleset", "a\"b"}, {"version", "1"}, {"mode", "live"}, {"rule", "x\\y\nz}"}}),
      1);
}

// README.md is the contract for dashboards: every family we render is listed
// there with its type, as "| `name` | type |".
TEST(ServiceMetricsTest, ReadmeListsEveryFamilyWithItsType) {
  const char* env = std::getenv("CEP_SOURCE_DIR");
  const std::string root = env != nullptr ? env : CEP_SOURCE_DIR_DEFAULT;
  std::ifstream file(root + "/api/metrics/README.md");
  ASSERT_TRUE(file.good()) << root;
  std::stringstream readme;
  readme << file.rdbuf();
  const Exposition m = Parse(RenderServiceMetrics(FilledStats(), FilledContext()));
  ASSERT_GT(m.families.size(), 30u);
  for (const auto& family : m.families) {
    const std::string row = "| `" + family.name + "` | " + family.type + " |";
    EXPECT_NE(readme.str().find(row), std::string::npos) << "README lacks: " << row;
  }
}

}  // namespace
}  // namespace api::metrics
