#include "api/metrics/service_metrics.h"

#include <string_view>
#include <utility>

#include "api/metrics/prometheus_writer.h"

namespace api::metrics {
namespace {

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

std::string PartitionLabel(int32_t partition) {
  return partition == engine::Service::kIngestPartition ? "ingest" : std::to_string(partition);
}

void WriteProcess(PrometheusWriter& w, const engine::ServiceStats& stats,
                  const MetricsContext& context) {
  w.Gauge("cep_up", "1 while the service answers scrapes.").Add({}, 1);
  w.Gauge("cep_ready", "1 when GET /readyz answers ready.").Add({}, context.ready);
  w.Gauge("cep_build_info", "Always 1; the build is in the labels.")
      .Add({{"version", context.version}}, 1);
  w.Gauge("cep_restored_checkpoint_id",
          "The checkpoint the service started from; 0 when it started empty.")
      .Add({}, stats.restored_checkpoint);
  w.Counter("cep_partition_assignments_total",
            "Scaling out: assignments whose partitions were restored from the shared directory.")
      .Add({}, stats.assignments);
  w.Counter("cep_partition_hand_overs_total",
            "Scaling out: revocations whose partitions were checkpointed and handed over.")
      .Add({}, stats.hand_overs);
}

void WriteInput(PrometheusWriter& w, const engine::ServiceStats& stats) {
  w.Counter("cep_input_records_total", "Records consumed from the input topic.")
      .Add({}, stats.records);
  w.Counter("cep_http_ingested_records_total", "Records accepted by POST /v1/events.")
      .Add({}, stats.ingested);
  w.Counter("cep_events_total", "Records decoded into events and routed to the rulesets.")
      .Add({}, stats.events);
  w.Counter("cep_dead_letters_total",
            "Records that could not be decoded (or were too big), sent to the dead-letter topic.")
      .Add({}, stats.dead_letters);
  w.Counter("cep_late_events_total", "Events behind the watermark when they arrived.")
      .Add({}, stats.late);
  w.Counter("cep_late_events_routed_total", "Late events copied to the late topic.")
      .Add({}, stats.late_routed);
}

void WriteAlerts(PrometheusWriter& w, const engine::ServiceStats& stats) {
  w.Counter("cep_alerts_total",
            "Alerts handed to the producer: mode live to the alerts topic, shadow to the shadow "
            "topic.")
      .Add({{"mode", "live"}}, stats.alerts)
      .Add({{"mode", "shadow"}}, stats.shadow_alerts);
  w.Counter("cep_produce_errors_total", "Alerts the producer failed to write.")
      .Add({}, stats.produce_errors);
  w.Counter("cep_alerts_already_written_total",
            "Alerts raised again after a restore and skipped because they were already written.")
      .Add({}, stats.alerts_already_written);
  w.Gauge("cep_alerts_read_back_pending",
          "Alerts read back after a restore that were neither raised again nor passed by the "
          "watermark yet.")
      .Add({}, stats.alerts_read_back_pending);
  const engine::HistogramFigures& latency = stats.alert_latency;
  if (!latency.counts.empty()) {
    w.Histogram("cep_alert_latency_seconds",
                "Wall time from an alert's event time (ts) to its hand-off to the producer.")
        .AddHistogram({}, latency.upper_bounds, latency.counts, latency.sum);
  }
}

void WriteRules(PrometheusWriter& w, const engine::ServiceStats& stats) {
  auto& evaluations = w.Counter("cep_rule_evaluations_total",
                                "Events that reached the rule with a key, since its lane started.");
  auto& alerts = w.Counter("cep_rule_alerts_total", "Alerts the rule raised, by kind.");
  auto& suppressed = w.Counter("cep_rule_suppressed_total", "Alerts held back by `suppress`.");
  auto& late_dropped = w.Counter("cep_rule_late_dropped_total", "Late events the rule dropped.");
  for (const engine::RuleCounters& rule : stats.rules) {
    const Labels labels = {{"ruleset", rule.ruleset},
                           {"version", std::to_string(rule.version)},
                           {"mode", rule.mode},
                           {"rule", rule.rule}};
    evaluations.Add(labels, rule.evaluated);
    suppressed.Add(labels, rule.suppressed);
    late_dropped.Add(labels, rule.late_dropped);
    const std::pair<std::string_view, uint64_t> by_kind[] = {
        {"match", rule.matches}, {"timeout", rule.timeouts}, {"window", rule.windows}};
    for (const auto& [kind, count] : by_kind) {
      Labels with_kind = labels;
      with_kind.push_back({"kind", std::string(kind)});
      alerts.Add(with_kind, count);
    }
  }

  // Checkpoint figures name a rule "<ruleset>/<rule>", without version or mode.
  auto& partial = w.Gauge("cep_rule_partial_matches",
                          "Open partial matches of the rule, as of the last checkpoint.");
  auto& bytes =
      w.Gauge("cep_rule_state_bytes", "Bytes of the rule's state, as of the last checkpoint.");
  auto& keys =
      w.Gauge("cep_rule_keys", "Keys holding state of the rule, as of the last checkpoint.");
  for (const engine::RuleStateFigures& rule : stats.checkpoints.last_rules) {
    const size_t slash = rule.rule.find('/');
    const Labels labels = slash == std::string::npos
                              ? Labels{{"ruleset", ""}, {"rule", rule.rule}}
                              : Labels{{"ruleset", rule.rule.substr(0, slash)},
                                       {"rule", rule.rule.substr(slash + 1)}};
    partial.Add(labels, rule.partial_matches);
    bytes.Add(labels, rule.bytes);
    keys.Add(labels, rule.keys);
  }
}

void WriteTime(PrometheusWriter& w, const engine::ServiceStats& stats,
               const MetricsContext& context) {
  if (stats.watermark != cep::EventTime::Min() && stats.watermark != cep::EventTime::Max()) {
    w.Gauge("cep_watermark_seconds",
            "The global watermark: event time, seconds since the epoch, all rulesets are complete "
            "up to.")
        .Add({}, Seconds(stats.watermark.millis()));
  }
  auto& lag = w.Gauge("cep_partition_watermark_lag_seconds",
                      "Wall clock minus the partition's watermark (event time).");
  auto& idle = w.Gauge("cep_partition_idle",
                       "1 when the partition idled out and no longer holds the watermark back.");
  auto& consumer_lag = w.Gauge("cep_consumer_lag_records",
                               "Records of the partition not read yet: end offset - next offset.");
  for (const engine::PartitionFigures& partition : stats.partitions) {
    const Labels labels = {{"partition", PartitionLabel(partition.partition)}};
    // max_ts_ms stays 0 until the partition's first event: no watermark to measure yet.
    if (partition.max_ts_ms > 0) lag.Add(labels, Seconds(context.now_ms - partition.watermark_ms));
    idle.Add(labels, partition.idle);
    if (partition.next_offset >= 0 && partition.end_offset >= 0) {
      const int64_t behind = partition.end_offset - partition.next_offset;
      consumer_lag.Add(labels, behind > 0 ? behind : 0);
    }
  }
}

void WriteCheckpoints(PrometheusWriter& w, const engine::ServiceStats& stats,
                      const MetricsContext& context) {
  const engine::CheckpointFigures& c = stats.checkpoints;
  w.Counter("cep_checkpoints_total", "Checkpoints since start, by result.")
      .Add({{"result", "completed"}}, c.completed)
      .Add({{"result", "failed"}}, c.failed);
  if (c.completed == 0) return;  // the figures below describe the last completed one
  w.Gauge("cep_checkpoint_age_seconds", "Wall time since the last checkpoint completed.")
      .Add({}, Seconds(context.now_ms - c.last_completed_ms));
  w.Gauge("cep_checkpoint_duration_seconds",
          "The last checkpoint's duration, barrier to manifest written.")
      .Add({}, Seconds(c.last_duration.count()));
  w.Gauge("cep_checkpoint_bytes", "Bytes written by the last checkpoint.").Add({}, c.last_bytes);
  w.Gauge("cep_checkpoint_max_pause_seconds",
          "The longest a slot stopped processing for the last checkpoint.")
      .Add({}, static_cast<double>(c.last_longest_pause.count()) / 1e6);
}

void WriteQueues(PrometheusWriter& w, const engine::ServiceStats& stats) {
  // TODO(metrics): {ruleset, mode, slot} once ServiceStats says which lane and
  // slot each depth belongs to (#6); until then the position in stats.queue_depths.
  auto& depth = w.Gauge("cep_slot_queue_depth",
                        "Events waiting in a slot's queue; index = lane * slots + slot.");
  for (size_t i = 0; i < stats.queue_depths.size(); ++i) {
    depth.Add({{"index", std::to_string(i)}}, stats.queue_depths[i]);
  }
}

void WriteServer(PrometheusWriter& w, const MetricsContext& context) {
  w.Counter("cep_http_requests_total", "HTTP requests answered.").Add({}, context.http.requests);
  w.Counter("cep_http_connections_total", "HTTP connections since start, by result.")
      .Add({{"result", "accepted"}}, context.http.connections_accepted)
      .Add({{"result", "rejected"}}, context.http.connections_rejected);
  w.Gauge("cep_http_connections_open", "HTTP connections open now.")
      .Add({}, context.http.connections_open);
  w.Gauge("cep_ruleset_versions_stored", "Ruleset versions in the registry, over all rulesets.")
      .Add({}, context.ruleset_versions_stored);
  w.Gauge("cep_rulesets_active", "Rulesets running, by mode.")
      .Add({{"mode", "live"}}, context.rulesets_active_live)
      .Add({{"mode", "shadow"}}, context.rulesets_active_shadow);
}

}  // namespace

std::string RenderServiceMetrics(const engine::ServiceStats& stats, const MetricsContext& context) {
  PrometheusWriter w;
  WriteProcess(w, stats, context);
  WriteInput(w, stats);
  WriteAlerts(w, stats);
  WriteRules(w, stats);
  WriteTime(w, stats, context);
  WriteCheckpoints(w, stats, context);
  WriteQueues(w, stats);
  WriteServer(w, context);
  return w.Render();
}

}  // namespace api::metrics
